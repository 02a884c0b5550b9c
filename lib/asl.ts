/**
 * Amazon States Language types: the JSONPath subset the pipeline's definition uses
 * (`lib/state-machine.ts`).
 *
 * @see https://states-language.net/spec.html
 */

/** Any JSON value. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object (a Parameters / ResultSelector payload template, an execution input). */
export type JsonObject = { [key: string]: JsonValue };

/** A Retry entry. @see https://states-language.net/spec.html#retrying-after-error */
export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: "FULL" | "NONE";
}

/** A Catch entry. */
export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string;
}

/** Comparison operators of a Choice data-test expression, with the type of their operand. */
export interface ChoiceOperators {
  StringEquals?: string;
  StringEqualsPath?: string;
  StringMatches?: string;
  NumericEquals?: number;
  NumericGreaterThanEquals?: number;
  NumericGreaterThanEqualsPath?: string;
  TimestampGreaterThan?: string;
  TimestampGreaterThanPath?: string;
  BooleanEquals?: boolean;
  IsPresent?: boolean;
  IsNull?: boolean;
  IsString?: boolean;
  IsNumeric?: boolean;
  IsBoolean?: boolean;
  IsTimestamp?: boolean;
}

/** A data-test expression: a variable and exactly one operator. */
export type DataTest = { Variable: string } & ChoiceOperators;

/** A Choice condition: a data test or a boolean combination of conditions. */
export type ChoiceCondition =
  DataTest | { And: ChoiceCondition[] } | { Or: ChoiceCondition[] } | { Not: ChoiceCondition };

/** A top-level Choice rule: a condition and the state it leads to. */
export type ChoiceRule = ChoiceCondition & { Next: string };

interface StateBase {
  Comment?: string;
}

/** A Task state (every Task here continues with `Next`). */
export interface TaskState extends StateBase {
  Type: "Task";
  Resource: string;
  Parameters?: JsonObject;
  ResultSelector?: JsonObject;
  ResultPath?: string | null;
  TimeoutSeconds?: number;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Next: string;
}

/** A Pass state. */
export interface PassState extends StateBase {
  Type: "Pass";
  Parameters?: JsonObject;
  Result?: JsonValue;
  ResultPath?: string | null;
  Next: string;
}

/** A Choice state. */
export interface ChoiceState extends StateBase {
  Type: "Choice";
  Choices: ChoiceRule[];
  Default: string;
}

/** A Wait state. */
export interface WaitState extends StateBase {
  Type: "Wait";
  Seconds: number;
  Next: string;
}

/** A Succeed state. */
export interface SucceedState extends StateBase {
  Type: "Succeed";
}

/** A Fail state; error and cause come from the failure record. */
export interface FailState extends StateBase {
  Type: "Fail";
  ErrorPath: string;
  CausePath: string;
}

/** Any state of this definition. */
export type AslState = TaskState | PassState | ChoiceState | WaitState | SucceedState | FailState;

/** An Amazon States Language definition (JSONPath). */
export interface AslDefinition {
  Comment: string;
  StartAt: string;
  States: Record<string, AslState>;
}
