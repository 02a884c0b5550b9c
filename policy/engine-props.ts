/**
 * Engine property conversion of the offline evaluator: graph inputs turned into what the policy
 * engine hands a policy (unknown sentinels, unwrapped secrets, resource references as ids), and
 * plain copies of remediation results that keep unknown sentinels.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  specialResourceSig,
  specialSecretSig,
  specialSigKey,
  unknownValue,
} from "@pulumi/pulumi/runtime/rpc";

import { UnknownValueError } from "./support";

/**
 * Converts graph inputs to what the engine hands a policy: plain JSON values, unknowns as Pulumi's
 * unknown sentinel, secrets unwrapped, resource references as their id (or URN), undefined
 * dropped from objects and `null` in arrays.
 * @throws Error for live SDK objects (Outputs, Resources), which a graph must not contain.
 */
export function toEngineProperties(value: unknown, where = "inputs"): unknown {
  if (value === undefined || value === null) return value;
  if (pulumi.isUnknown(value)) return unknownValue;
  if (typeof value !== "object") {
    if (typeof value === "function") {
      throw new Error(`${where} is a function; a graph holds plain data.`);
    }
    return value;
  }
  if (pulumi.Output.isInstance(value) || pulumi.Resource.isInstance(value)) {
    throw new Error(
      `${where} is a live Pulumi ${pulumi.Output.isInstance(value) ? "Output" : "Resource"}; the graph must hold plain values (synthesize serializes them).`,
    );
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => {
      const c = toEngineProperties(v, `${where}[${i}]`);
      return c === undefined ? null : c;
    });
  }
  const obj = value as Record<string, unknown>;
  if ((obj as { __pulumiUnknown?: unknown }).__pulumiUnknown === true) return unknownValue;
  const sig = obj[specialSigKey];
  if (sig === specialSecretSig) return toEngineProperties(obj.value, where);
  if (sig === specialResourceSig) {
    return typeof obj.id === "string" && obj.id !== "" ? obj.id : obj.urn;
  }
  if (value instanceof Promise) {
    throw new Error(`${where} is a Promise; the graph must hold resolved values.`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const c = toEngineProperties(v, `${where}.${k}`);
    if (c !== undefined) out[k] = c;
  }
  return out;
}

/** A deep copy that reads through proxies (remediation results) keeping unknown sentinels. */
export function plainCopy(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value))
    return Array.from({ length: value.length }, (_, i) => plainCopy(readRaw(value, i)));
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const v = plainCopy(readRaw(value, k));
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function readRaw(obj: object, key: string | number): unknown {
  try {
    return (obj as Record<string | number, unknown>)[key];
  } catch (e) {
    if (e instanceof UnknownValueError) return e.unknownTypeSentinel;
    throw e;
  }
}
