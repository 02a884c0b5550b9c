/**
 * A small JSON Schema validator for policy config: the subset of draft-07 that the pack's
 * `configSchema`s use. The Pulumi CLI validates policy config with gojsonschema against
 * `{ type: "object", properties, required }`; this validator lets tests and the offline evaluator
 * do the same without the CLI. A schema that uses a keyword outside the subset is rejected, so
 * the pack never relies on a check that only the CLI would make.
 */
import type { PolicyConfigSchema } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";

const SUPPORTED = new Set([
  "type",
  "enum",
  "const",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "pattern",
  "items",
  "minItems",
  "maxItems",
  "uniqueItems",
  "properties",
  "required",
  "additionalProperties",
  "description",
  "default",
]);

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

function where(path: string): string {
  return path === "" ? "(root)" : path;
}

/**
 * Validates a value against a schema of the supported subset. Returns one message per problem,
 * each naming the path, the expectation and the value found; empty when valid.
 * @throws Error when the schema itself uses an unsupported keyword.
 */
export function validateSchema(
  schema: PolicyConfigJSONSchema | boolean,
  value: unknown,
  path = "",
): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${where(path)}: is not allowed; found ${JSON.stringify(value)}`];
  for (const key of Object.keys(schema)) {
    if (!SUPPORTED.has(key)) {
      throw new Error(
        `Schema keyword "${key}" at ${where(path)} is not supported by policy/schema.ts; use one of ${[...SUPPORTED].join(", ")} or extend the validator.`,
      );
    }
  }
  const errors: string[] = [];
  const found = JSON.stringify(value);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => matchesType(value, t))) {
      return [`${where(path)}: must be of type ${types.join(" or ")}; found ${found}`];
    }
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === found)) {
    errors.push(
      `${where(path)}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}; found ${found}`,
    );
  }
  if (schema.const !== undefined && JSON.stringify(schema.const) !== found) {
    errors.push(`${where(path)}: must be ${JSON.stringify(schema.const)}; found ${found}`);
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) {
      errors.push(`${where(path)}: must be >= ${schema.minimum}; found ${value}`);
    }
    if (schema.maximum !== undefined && value > schema.maximum) {
      errors.push(`${where(path)}: must be <= ${schema.maximum}; found ${value}`);
    }
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) {
      errors.push(`${where(path)}: must be > ${schema.exclusiveMinimum}; found ${value}`);
    }
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) {
      errors.push(`${where(path)}: must be < ${schema.exclusiveMaximum}; found ${value}`);
    }
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      errors.push(
        `${where(path)}: must be at least ${schema.minLength} characters; found ${found}`,
      );
    }
    if (schema.maxLength !== undefined && value.length > schema.maxLength) {
      errors.push(`${where(path)}: must be at most ${schema.maxLength} characters; found ${found}`);
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value)) {
      errors.push(`${where(path)}: must match /${schema.pattern}/; found ${found}`);
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      errors.push(
        `${where(path)}: must have at least ${schema.minItems} items; found ${value.length}`,
      );
    }
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      errors.push(
        `${where(path)}: must have at most ${schema.maxItems} items; found ${value.length}`,
      );
    }
    if (schema.uniqueItems) {
      const seen = new Set<string>();
      for (const item of value) {
        const key = JSON.stringify(item);
        if (seen.has(key))
          errors.push(`${where(path)}: must have unique items; found ${key} twice`);
        seen.add(key);
      }
    }
    if (schema.items !== undefined) {
      if (Array.isArray(schema.items)) {
        throw new Error(`Tuple "items" at ${where(path)} is not supported by policy/schema.ts.`);
      }
      value.forEach((item, i) =>
        errors.push(
          ...validateSchema(schema.items as PolicyConfigJSONSchema, item, `${path}[${i}]`),
        ),
      );
    }
  }
  if (typeOf(value) === "object") {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (!(key in obj)) errors.push(`${where(path)}: ${key} is required`);
    }
    const props = schema.properties ?? {};
    for (const [key, v] of Object.entries(obj)) {
      const childPath = path === "" ? key : `${path}.${key}`;
      const sub = props[key];
      if (sub !== undefined) {
        errors.push(...validateSchema(sub, v, childPath));
      } else if (schema.additionalProperties !== undefined) {
        errors.push(...validateSchema(schema.additionalProperties, v, childPath));
      }
    }
  }
  return errors;
}

/**
 * Validates one policy's config properties the way the Pulumi CLI does: against
 * `{ type: "object", properties, required }` (so unknown keys are allowed there too).
 */
export function validatePolicyConfig(schema: PolicyConfigSchema, props: unknown): string[] {
  return validateSchema(
    {
      type: "object",
      properties: schema.properties,
      ...(schema.required ? { required: schema.required } : {}),
    },
    props,
  );
}

/** The `default` of each property of a policy config schema, as the CLI fills them in. */
export function schemaDefaults(schema: PolicyConfigSchema | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(schema?.properties ?? {})) {
    if (typeof prop === "object" && prop.default !== undefined) {
      out[key] = structuredClone(prop.default);
    }
  }
  return out;
}
