/**
 * Runtime polyfills for Node 20.
 *
 * `aws-local-stepfunctions` 3.x calls `Promise.withResolvers()` (ES2024, native from Node 22) in
 * every Task state. This module adds it when missing, so import it before
 * `aws-local-stepfunctions`: `import "../lib/polyfills";`. On Node 22+ it changes nothing.
 *
 * @see https://developer.mozilla.org/docs/Web/JavaScript/Reference/Global_Objects/Promise/withResolvers
 */

/** The object `Promise.withResolvers()` returns. */
export interface PromiseWithResolversResult<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

/**
 * A spec-compatible `Promise.withResolvers`: a new promise with its `resolve` and `reject`.
 * Exported for tests; the module installs it on `Promise` when the runtime lacks it.
 */
export function withResolvers<T>(this: PromiseConstructor | void): PromiseWithResolversResult<T> {
  const Ctor = typeof this === "function" ? this : Promise;
  let resolve!: PromiseWithResolversResult<T>["resolve"];
  let reject!: PromiseWithResolversResult<T>["reject"];
  const promise = new Ctor<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const promiseCtor = Promise as PromiseConstructor & { withResolvers?: unknown };
if (typeof promiseCtor.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    value: withResolvers,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
