/**
 * A test hook for crash safety: places in the checkpoint code where a SIGKILL is most harmful call
 * `killPoint(label)`. With HEADLESS_BENCH_KILL_POINTS="SEED:P" in the environment, each call kills the
 * process (SIGKILL, no cleanup) with probability P, drawn from a stream seeded by SEED, after printing
 * `kill point LABEL` on stderr; so a given seed kills at the same point every time. Unset, it does nothing.
 */
import { Rng } from "../util/rng.ts";
import { InputError } from "../util/errors.ts";

/** The environment variable that arms the kill points. */
export const KILL_POINTS_ENV = "HEADLESS_BENCH_KILL_POINTS";

let armed: { rng: Rng; p: number } | null | undefined;

function arm(): { rng: Rng; p: number } | null {
  let spec: string | undefined;
  try {
    spec = Deno.env.get(KILL_POINTS_ENV);
  } catch {
    return null; // no permission to read the environment: not armed
  }
  if (!spec) return null;
  const m = /^(\d+):([0-9.]+)$/.exec(spec);
  if (!m || !(Number(m[2]) >= 0 && Number(m[2]) <= 1)) {
    throw new InputError(`${KILL_POINTS_ENV}=${spec}: expected SEED:PROBABILITY, e.g. 7:0.1`);
  }
  return { rng: new Rng(Number(m[1])), p: Number(m[2]) };
}

/** Kills this process here with the armed probability (a no-op unless HEADLESS_BENCH_KILL_POINTS is set). */
export function killPoint(label: string): void {
  if (armed === undefined) armed = arm();
  if (!armed || armed.rng.next() >= armed.p) return;
  console.error(`kill point ${label}`);
  Deno.kill(Deno.pid, "SIGKILL");
}
