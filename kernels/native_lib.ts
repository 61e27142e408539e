/**
 * The native kernel library (kernels/native/kernels.c): compiled on first use with the machine's C
 * compiler into `<cacheHome()>/native/<key>.<sha256 of the file>.so`, keyed by the source, flags,
 * compiler version and CPU, then opened with Deno.dlopen. The file's own hash, recorded in its name at
 * build time, is checked before every load: a file whose bytes do not match (another build copied
 * under that name, a damaged file) is removed and rebuilt, never loaded. Without a compiler (or when
 * every compile fails) it returns null and says why, and callers keep the wasm kernels. HEADLESS_CC
 * names the compiler to use.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256 } from "../util/fs.ts";
import { cacheHome } from "../util/paths.ts";

/** The environment variable that names the C compiler, overriding `cc` / `gcc`. */
export const CC_ENV = "HEADLESS_CC";

/** The kernel source, next to this module. */
export const NATIVE_SOURCE: URL = new URL("./native/kernels.c", import.meta.url);

const SYMBOLS = {
  hb_version: { parameters: [], result: "i32" },
  hb_openmp: { parameters: [], result: "i32" },
  hb_set_threads: { parameters: ["i32"], result: "void" },
  hb_get_threads: { parameters: [], result: "i32" },
  hb_gelu: { parameters: ["pointer", "pointer", "i64"], result: "void" },
  hb_gelu_grad: { parameters: ["pointer", "pointer", "pointer", "i64"], result: "void" },
  hb_softmax: { parameters: ["pointer", "pointer", "i64", "i64"], result: "void" },
  hb_target_log_probs: { parameters: ["pointer", "pointer", "pointer", "i64", "i64"], result: "void" },
  hb_softmax_grad: { parameters: ["pointer", "pointer", "pointer", "i64", "i64", "f32"], result: "void" },
  hb_layer_norm: {
    parameters: ["pointer", "pointer", "pointer", "pointer", "pointer", "pointer", "i64", "i64", "f32"],
    result: "void",
  },
  hb_layer_norm_grad: {
    parameters: ["pointer", "pointer", "pointer", "pointer", "pointer", "pointer", "pointer", "pointer", "i64", "i64"],
    result: "void",
  },
  hb_adamw: {
    parameters: ["pointer", "pointer", "pointer", "pointer", "pointer", "pointer", "pointer", "i64", "pointer", "i32"],
    result: "void",
  },
  hb_binary: {
    parameters: ["pointer", "pointer", "pointer", "i64", "i64", "i64", "i32", "i32", "i32"],
    result: "void",
  },
  hb_swap_axes: { parameters: ["pointer", "pointer", "i64", "i64", "i64", "i64"], result: "void" },
  hb_heads: {
    parameters: ["pointer", "pointer", "pointer", "pointer", "i64", "i64", "i64", "i64", "i32"],
    result: "void",
  },
  hb_bind_sgemm: { parameters: ["buffer"], result: "i32" },
  hb_sgemm_batch: {
    parameters: [
      "i32",
      "i32",
      "i64",
      "i64",
      "i64",
      "pointer",
      "pointer",
      "pointer",
      "pointer",
      "pointer",
      "i64",
      "i64",
      "i64",
      "f32",
    ],
    result: "void",
  },
} as const;

/** The bound library: the C functions by name (see kernels.c for what each computes). */
export type NativeSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** A loaded native kernel library. */
export interface NativeLib {
  /** The shared object that was opened. */
  readonly path: string;
  /** The compiler and flags it was built with. */
  readonly build: string;
  /** sha256 of the shared object, checked against the one recorded at build time before loading. */
  readonly sha256: string;
  readonly symbols: NativeSymbols;
}

/**
 * Flag sets tried in order, after BASE_FLAGS: tuned for this CPU with OpenMP threads (512-bit vectors
 * where the CPU has them: softmax and GELU's gradient ran 20% faster with them on AVX-512); without the
 * x86-only width flag (other architectures); without -march=native (compilers that lack it); with
 * OpenMP's simd pragmas only (no libgomp); plain. The first that compiles and loads is used.
 */
const FLAG_SETS: string[][] = [
  ["-march=native", "-mprefer-vector-width=512", "-fopenmp"],
  ["-march=native", "-fopenmp"],
  ["-fopenmp"],
  ["-march=native", "-fopenmp-simd"],
  [],
];
const BASE_FLAGS = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fPIC", "-shared"];

let cached: NativeLib | null | undefined;
let missingReason: string | null = null;

/**
 * Compiles (once per source/flags/compiler/CPU; cached on disk) and opens the kernel library, or
 * returns null; then {@link nativeMissingReason} says why.
 */
export function loadNativeLib(): NativeLib | null {
  if (cached !== undefined) return cached;
  try {
    cached = buildAndOpen();
    missingReason = null;
  } catch (e) {
    cached = null;
    missingReason = e instanceof Error ? e.message : String(e);
  }
  return cached;
}

/** Why the last {@link loadNativeLib} returned null, or null when it succeeded or was not called. */
export function nativeMissingReason(): string | null {
  return missingReason;
}

function buildAndOpen(): NativeLib {
  const source = Deno.readTextFileSync(NATIVE_SOURCE);
  const cc = findCompiler();
  const dir = join(cacheHome(), "native");
  Deno.mkdirSync(dir, { recursive: true });
  const failures: string[] = [];
  for (const extra of FLAG_SETS) {
    const flags = [...BASE_FLAGS, ...extra.filter((f) => !f.startsWith("-l"))];
    const libs = extra.filter((f) => f.startsWith("-l"));
    const key = sha256([source, cc.path, cc.version, flags.join(" "), libs.join(" "), cpuSignature()].join("\n"));
    const build = `${cc.path} ${[...flags, ...libs].join(" ")}`;
    let found = verifiedBuild(dir, key);
    if (!found) {
      const problem = compile(cc.path, flags, libs, dir, key);
      found = verifiedBuild(dir, key);
      if (problem || !found) {
        failures.push(`${build}: ${problem ?? "the build's hash did not match the file after the build"}`);
        continue;
      }
    }
    try {
      const lib = Deno.dlopen(found.path, SYMBOLS);
      if (lib.symbols.hb_version() < 1) throw new Error("unexpected hb_version");
      return { path: found.path, build, sha256: found.sha256, symbols: lib.symbols };
    } catch (e) {
      failures.push(`${found.path}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(`native kernels could not be built with ${cc.path}: ${failures.join("; ")}`);
}

/** `<key>.<sha256>.so`: a build of `key` whose name records its own hash. */
const BUILD_NAME = /^([0-9a-f]{64})\.([0-9a-f]{64})\.so$/;

/**
 * The cached build of `key` whose bytes hash to the sha256 in its name, or null. Builds of `key` that
 * fail the check are removed (so the caller rebuilds), and each is reported on stderr once.
 */
export function verifiedBuild(dir: string, key: string): { path: string; sha256: string } | null {
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => e.name);
  } catch {
    return null;
  }
  for (const name of names.sort()) {
    const m = BUILD_NAME.exec(name);
    if (!m || m[1] !== key) continue;
    const path = join(dir, name);
    const actual = sha256(Deno.readFileSync(path));
    if (actual === m[2]) return { path, sha256: actual };
    console.error(
      `note: ${name} in the native kernel cache does not match the hash recorded when it was built ` +
        `(sha256 ${actual.slice(0, 12)}…): removed and rebuilt, not loaded`,
    );
    try {
      Deno.removeSync(path);
    } catch {
      // another process removed it first
    }
  }
  return null;
}

/**
 * Compiles to a temporary name, hashes the result and renames it to `<key>.<sha256>.so`; returns the
 * compiler's complaint, or null.
 */
function compile(cc: string, flags: string[], libs: string[], dir: string, key: string): string | null {
  const tmp = join(dir, `${key}.${Deno.pid}.${Date.now()}.tmp`);
  try {
    const result = new Deno.Command(cc, {
      args: [...flags, "-o", tmp, fileURLToPath(NATIVE_SOURCE), ...libs, "-lm"],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    if (!result.success) {
      return new TextDecoder().decode(result.stderr).trim().split("\n").slice(-3).join(" | ") || `exit ${result.code}`;
    }
    Deno.renameSync(tmp, join(dir, `${key}.${sha256(Deno.readFileSync(tmp))}.so`));
    return null;
  } catch (e) {
    return (e as Error).message.split("\n")[0];
  } finally {
    try {
      Deno.removeSync(tmp);
    } catch {
      // renamed, or never written
    }
  }
}

/** The compiler to use: $HEADLESS_CC when set (only that), else cc, gcc or clang on PATH. */
function findCompiler(): { path: string; version: string } {
  const override = readEnv(CC_ENV);
  const candidates = override ? [override] : ["cc", "gcc", "clang"];
  for (const cc of candidates) {
    try {
      const out = new Deno.Command(cc, { args: ["--version"], stdout: "piped", stderr: "null" }).outputSync();
      if (out.success) return { path: cc, version: new TextDecoder().decode(out.stdout).split("\n")[0] };
    } catch {
      // not there: try the next one
    }
  }
  throw new Error(
    override
      ? `${CC_ENV}=${override} is not a working C compiler`
      : "no C compiler (cc, gcc or clang) on PATH; install gcc to build the native kernels",
  );
}

/** Machine and CPU flags: -march=native code must not be reused on another CPU sharing the cache. */
function cpuSignature(): string {
  let flags = "";
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    flags = /^(?:flags|Features)\s*:(.*)$/m.exec(info)?.[1]?.trim() ?? "";
  } catch {
    // not Linux
  }
  return `${Deno.build.target} ${flags}`;
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined; // no --allow-env
  }
}
