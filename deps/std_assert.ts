/**
 * Stand-in for `@std/assert` (JSR is unreachable here): the same names, built on `node:assert/strict`.
 * Swap the `@std/assert` line in deno.json for `jsr:@std/assert` where JSR can be reached.
 */
import assert from "node:assert/strict";
import { compareArrays, describeDifference } from "../util/compare.ts";

/**
 * Deep equality, as std's. Two typed arrays are compared element by element (`Object.is`) and a
 * failure reports how many values differ and by how much, never a diff of the whole arrays: on
 * arrays of 10^5 values node's diff takes gigabytes.
 */
export function assertEquals<T>(actual: unknown, expected: T, msg?: string): void {
  if (ArrayBuffer.isView(actual) && ArrayBuffer.isView(expected) && !(actual instanceof DataView)) {
    const [a, b] = [actual as unknown as ArrayLike<number>, expected as unknown as ArrayLike<number>];
    if (actual.constructor !== (expected as object).constructor) {
      throw new assert.AssertionError({
        message: `${msg ? msg + ": " : ""}${actual.constructor.name} vs ${(expected as object).constructor.name}`,
      });
    }
    const d = compareArrays(a, b);
    if (d.differing || d.lengthMismatch) {
      throw new assert.AssertionError({ message: `${msg ? msg + ": " : ""}${describeDifference(d, a, b)}` });
    }
    return;
  }
  assert.deepStrictEqual(actual, expected, msg as string);
}

/** Elementwise closeness within `tolerance` times the largest magnitude of `expected`; reports counts, not arrays. */
export function assertArrayClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  msg?: string,
): void {
  const d = compareArrays(actual, expected, { tolerance, relative: true });
  if (d.differing || d.lengthMismatch) {
    throw new assert.AssertionError({
      message: `${msg ? msg + ": " : ""}${describeDifference(d, actual, expected)} (tolerance ${tolerance} relative)`,
    });
  }
}
export function assertNotEquals(actual: unknown, expected: unknown, msg?: string): void {
  assert.notDeepStrictEqual(actual, expected, msg as string);
}
export function assert_(expr: unknown, msg = "assertion failed"): asserts expr {
  assert.ok(expr, msg as string);
}
export { assert_ as assert };
export function assertAlmostEquals(actual: number, expected: number, tolerance = 1e-7, msg?: string): void {
  const delta = Math.abs(expected - actual);
  if (!(delta <= tolerance)) {
    throw new assert.AssertionError({
      message: msg ?? `expected ${actual} to be within ${tolerance} of ${expected} (off by ${delta})`,
    });
  }
}
export function assertMatch(actual: string, expected: RegExp, msg?: string): void {
  assert.match(actual, expected, msg as string);
}
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (!actual.includes(expected)) {
    throw new assert.AssertionError({
      message: msg ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
    });
  }
}
/** Runs `fn`, checks it throws (an instance of `ErrorClass` whose message includes `msgIncludes`), returns the error. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass?: new (...args: any[]) => E,
  msgIncludes?: string,
): E {
  try {
    fn();
  } catch (e) {
    checkError(e, ErrorClass, msgIncludes);
    return e as E;
  }
  throw new assert.AssertionError({ message: "expected function to throw" });
}
/** Async twin of assertThrows. */
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  // deno-lint-ignore no-explicit-any
  ErrorClass?: new (...args: any[]) => E,
  msgIncludes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (e) {
    checkError(e, ErrorClass, msgIncludes);
    return e as E;
  }
  throw new assert.AssertionError({ message: "expected promise to reject" });
}
// deno-lint-ignore no-explicit-any
function checkError(e: unknown, ErrorClass?: new (...args: any[]) => Error, msgIncludes?: string) {
  if (ErrorClass && !(e instanceof ErrorClass)) {
    throw new assert.AssertionError({ message: `expected ${ErrorClass.name}, got ${e}` });
  }
  if (msgIncludes && !(e instanceof Error && e.message.includes(msgIncludes))) {
    throw new assert.AssertionError({
      message: `expected message to include ${JSON.stringify(msgIncludes)}, got ${e}`,
    });
  }
}
