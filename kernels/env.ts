/**
 * Environment defaults the kernels set in this process before loading OpenBLAS and libgomp (both
 * read their settings from the environment when they are loaded). Child processes inherit the
 * environment, so anything that must run untouched (the PyTorch peer, whose OpenBLAS and OpenMP read
 * the same variables) gets `inheritedEnvWithoutDefaults()` instead.
 */

const setHere = new Set<string>();

/** Sets `name` to `value` unless it or one of `alternatives` is already set; false without --allow-env. */
export function setEnvDefault(name: string, value: string, alternatives: string[] = []): boolean {
  try {
    if ([name, ...alternatives].some((n) => Deno.env.get(n))) return false;
    Deno.env.set(name, value);
    setHere.add(name);
    return true;
  } catch {
    return false; // no --allow-env: the library keeps its own default
  }
}

/** The variables {@link setEnvDefault} set in this process. */
export function envDefaultsSet(): string[] {
  return [...setHere];
}

/**
 * This process's environment without the defaults set here, for a child process's `env` (with
 * `clearEnv: true`); null when nothing was set here or the environment cannot be read.
 */
export function inheritedEnvWithoutDefaults(): Record<string, string> | null {
  if (!setHere.size) return null;
  try {
    const env = Deno.env.toObject();
    for (const name of setHere) delete env[name];
    return env;
  } catch {
    return null;
  }
}
