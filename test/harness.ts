/**
 * The one mocks setup every wiring test shares: the whole program synthesized per stack from its
 * real `Pulumi.<stack>.yaml` (see tools/synth.ts), cached per stack and mode.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";

import { type Graph, type GraphResource, ROOT, synthesize } from "../tools/synth";

/** Every stack file shipped at the repository root. */
export const STACKS = fs
  .readdirSync(ROOT)
  .filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))
  .map((f) => f.slice("Pulumi.".length, -".yaml".length))
  .sort();

const cache = new Map<string, Promise<Graph>>();

/** The program's graph for a stack as shipped (cached), or with config overrides (not cached). */
export function graphOf(
  stack: string,
  opts: { preview?: boolean; configOverrides?: Record<string, unknown> } = {},
): Promise<Graph> {
  if (opts.configOverrides) return synthesize({ stack, ...opts });
  const key = `${stack}:${opts.preview ?? false}`;
  let g = cache.get(key);
  if (!g) {
    g = synthesize({ stack, preview: opts.preview ?? false });
    cache.set(key, g);
  }
  return g;
}

/** Resources of a type. */
export function byType(g: Graph, type: string): GraphResource[] {
  return g.resources.filter((r) => r.type === type);
}

/** The one resource of a type and logical name; fails with the names that exist. */
export function one(g: Graph, type: string, name: string): GraphResource {
  const found = byType(g, type).filter((r) => r.name === name);
  if (found.length !== 1) {
    throw new Error(
      `expected one ${type} named ${name}, found ${found.length}; names: ${byType(g, type)
        .map((r) => r.name)
        .join(", ")}`,
    );
  }
  return found[0]!;
}

/** Parses a JSON policy input. */
export function json<T = Record<string, unknown>>(value: unknown): T {
  if (typeof value !== "string")
    throw new Error(`expected a JSON string, got ${JSON.stringify(value)}`);
  return JSON.parse(value) as T;
}

/** Awaits an Output's value (tests of components built directly). */
export function unwrap<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** The repository root, for tests that read shipped files. */
export const repo = (...p: string[]): string => path.join(ROOT, ...p);
