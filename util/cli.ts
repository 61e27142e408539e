/**
 * Flag parsing for the tasks/ entry points. Stand-in for `@std/cli` (JSR is unreachable here),
 * built on `node:util`'s parseArgs; an unknown or malformed flag is an InputError naming it.
 */
import { parseArgs as nodeParseArgs } from "node:util";
import { InputError } from "./errors.ts";
import { versionLine } from "./version.ts";

/** One flag: its type, one-line help, and optionally a default, words for a default the task works out, required, repeatable. */
export interface FlagDef {
  type: "string" | "boolean";
  help: string;
  default?: string | boolean;
  /** The default in words, where the task computes it (e.g. "the checkpoint's token folder's"). */
  defaultHelp?: string;
  required?: boolean;
  multiple?: boolean;
}

/** Flag spec: name -> definition. */
export type FlagSpec = Record<string, FlagDef>;

/** A command's positional arguments: e.g. "A B", a line saying what they are, and how many it takes. */
export interface PositionalSpec {
  synopsis: string;
  help: string;
  /** fewest and most positional arguments (default: exactly the words of `synopsis` without brackets) */
  min?: number;
  max?: number;
}

/** Flags every command has. */
const BUILT_IN: FlagSpec = {
  help: { type: "boolean", help: "show this help" },
  version: { type: "boolean", help: "print the version (and the git commit in a checkout)" },
};

/**
 * Parses `args` against `spec`: `--help` prints usage and `--version` the version, each exiting 0. An
 * unknown or malformed flag, a missing required one, or a positional argument the command does not take
 * (none, unless `positionals` says) is an InputError naming it.
 */
export function parseFlags(
  command: string,
  spec: FlagSpec,
  args: string[] = Deno.args,
  positionals?: PositionalSpec,
) {
  const options = Object.fromEntries(
    Object.entries({ ...spec, ...BUILT_IN }).map(([name, s]) => [name, {
      type: s.type,
      ...(s.multiple !== undefined ? { multiple: s.multiple } : {}),
      ...(s.default !== undefined ? { default: s.default as never } : {}),
    }]),
  );
  let parsed;
  try {
    parsed = nodeParseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new InputError(`${command}: ${(e as Error).message}\n${usage(command, spec, positionals)}`);
  }
  if (parsed.values.help) {
    console.log(usage(command, spec, positionals));
    Deno.exit(0);
  }
  if (parsed.values.version) {
    console.log(versionLine());
    Deno.exit(0);
  }
  checkPositionals(command, parsed.positionals, spec, positionals);
  for (const [name, s] of Object.entries(spec)) {
    if (s.required && parsed.values[name] === undefined) {
      throw new InputError(`${command}: --${name} is required (${s.help})`);
    }
  }
  return parsed as { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };
}

function checkPositionals(command: string, given: string[], flags: FlagSpec, spec?: PositionalSpec): void {
  if (!spec) {
    if (given.length) {
      throw new InputError(
        `${command}: unexpected argument ${JSON.stringify(given[0])}: every input is a --flag of one value ` +
          `(quote glob patterns so that the shell does not expand them; see --help)`,
      );
    }
    return;
  }
  const words = spec.synopsis.split(/\s+/).filter(Boolean);
  const min = spec.min ?? words.filter((w) => !w.startsWith("[")).length;
  const max = spec.max ?? words.length;
  if (given.length < min || given.length > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    throw new InputError(
      `${command}: expected ${expected} argument${max === 1 ? "" : "s"} ${spec.synopsis}, got ${given.length}` +
        (given.length ? ` (${given.map((g) => JSON.stringify(g)).join(" ")})` : "") +
        `\n${usage(command, flags, spec)}`,
    );
  }
}

/** Usage text listing the positional arguments (when given) and every flag, --help and --version last. */
export function usage(command: string, spec: FlagSpec, positionals?: PositionalSpec): string {
  const lines = Object.entries({ ...spec, ...BUILT_IN }).map(([name, s]) => `  ${flagLine(name, s)}`);
  const head = `usage: deno task ${command} [flags]${positionals ? ` ${positionals.synopsis}` : ""}`;
  return [head, ...(positionals ? [`  ${positionals.help}`] : []), ...lines].join("\n");
}

/** One flag's usage line: "--name VALUE  help" and what is known of its default, required, repeatable. */
export function flagLine(name: string, s: FlagDef): string {
  const notes = [
    ...(s.required ? ["required"] : []),
    ...(s.default !== undefined && s.default !== false
      ? [`default ${shownDefault(s.default)}${s.defaultHelp !== undefined ? `: ${s.defaultHelp}` : ""}`]
      : s.defaultHelp !== undefined
      ? [`default: ${s.defaultHelp}`]
      : []),
    ...(s.multiple ? ["repeatable"] : []),
  ];
  return `--${name}${s.type === "string" ? " VALUE" : ""}  ${s.help}${notes.map((n) => ` (${n})`).join("")}`;
}

/** A default as usage shows it: JSON-quoted where it is empty or holds a space. */
function shownDefault(value: string | boolean): string {
  return typeof value === "string" && (value === "" || /\s/.test(value)) ? JSON.stringify(value) : String(value);
}

/** Reads a numeric flag, or throws an InputError naming it. */
export function numberFlag(name: string, value: unknown): number {
  const n = Number(value);
  if (value === undefined || value === "" || !Number.isFinite(n)) {
    throw new InputError(`--${name} expects a number, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Environment variable that makes runMain rethrow file-system errors (stack trace included). */
export const TRACE_ENV = "HEADLESS_BENCH_TRACE";

// File-system errors about a path: in a task, most often a file or folder given on the command line.
const PATH_ERRORS = [
  Deno.errors.NotFound,
  Deno.errors.PermissionDenied,
  Deno.errors.AlreadyExists,
  Deno.errors.NotADirectory,
  Deno.errors.IsADirectory,
  Deno.errors.FilesystemLoop,
];

/**
 * Runs a task's main. An InputError prints as one clear line and exits 2; so does a file-system error
 * (its message names the operation and the path), unless $HEADLESS_BENCH_TRACE is set. Anything else is
 * a bug and keeps its stack trace.
 */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof InputError) {
      console.error(`error: ${e.message}`);
      Deno.exit(2);
    }
    if (PATH_ERRORS.some((kind) => e instanceof kind) && !Deno.env.get(TRACE_ENV)) {
      console.error(
        `error: ${(e as Error).message}; check the files and folders given (${TRACE_ENV}=1 shows where it happened)`,
      );
      Deno.exit(2);
    }
    throw e;
  }
}

/** Reads an integer flag of at least `min`, or throws an InputError naming it. */
export function integerFlag(name: string, value: unknown, min = -Infinity): number {
  const n = numberFlag(name, value);
  if (!Number.isInteger(n) || n < min) {
    throw new InputError(
      `--${name} expects an integer${min > -Infinity ? ` >= ${min}` : ""}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** Reads a comma-separated list of distinct non-negative integer seeds ("0,1,2"). */
export function seedListFlag(value: string, name = "seeds"): number[] {
  const seeds = value.split(",").map((s) => s.trim()).filter(Boolean).map((s) => integerFlag(name, s, 0));
  if (seeds.length === 0) throw new InputError(`--${name} is empty; expected e.g. 0,1,2`);
  if (new Set(seeds).size !== seeds.length) throw new InputError(`--${name} repeats a seed: ${value}`);
  return seeds;
}

/** Reads a required string flag, or throws an InputError naming it. */
export function requiredFlag(name: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw new InputError(`--${name} is required`);
  return value;
}

/** Reads a flag that must be one of `allowed`, or throws an InputError listing them. */
export function oneOfFlag<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !allowed.includes(value as T)) {
    const list = allowed.length > 1 ? `${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1)}` : allowed.join("");
    throw new InputError(`--${name} expects ${list}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}
