/**
 * Stand-in for `@std/assert` (JSR is unreachable here): the same names, built on `node:assert/strict`.
 * Swap the `@std/assert` line in deno.json for `jsr:@std/assert` where JSR can be reached.
 */
import assert from "node:assert/strict";

export function assertEquals<T>(actual: unknown, expected: T, msg?: string): void {
  assert.deepStrictEqual(actual, expected, msg as string);
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
    throw new assert.AssertionError({ message: msg ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}` });
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
    throw new assert.AssertionError({ message: `expected message to include ${JSON.stringify(msgIncludes)}, got ${e}` });
  }
}
