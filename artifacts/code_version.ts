/**
 * The version of the code that makes an artifact: a hash over every project file a stage's module
 * reaches through static imports (and dynamic imports of literal paths), the data files its folders read
 * at run time (model configs, task definitions, the C kernels' source), and the import map that pins the
 * npm packages. Changing any of them changes the key of every artifact that stage makes; editing a file
 * the stage never imports does not.
 */
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256 } from "../util/fs.ts";
import { REPO_ROOT } from "../util/paths.ts";

/**
 * Folders of data files that code reads by path rather than imports; each is hashed with the stage when
 * a module in its parent folder is reached.
 */
export const CODE_ASSET_DIRS: readonly string[] = ["models/configs", "kernels/native", "evals/tasks"];

const SPECIFIER =
  /(?:^|[^\w$.])(?:import|export)\s*(?:[\w$*{}\s,]+\s*from\s*)?["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)/g;

/** A code version: the hash and the files it covers (repository-relative). */
export interface CodeVersion {
  hash: string;
  files: string[];
}

const cache = new Map<string, CodeVersion>();

/** The code version of the module at `moduleUrl` (a file: URL or a path). Cached per module. */
export async function codeVersion(moduleUrl: string): Promise<CodeVersion> {
  const start = moduleUrl.startsWith("file:") ? fileURLToPath(moduleUrl) : resolve(moduleUrl);
  const known = cache.get(start);
  if (known) return known;
  const importMap = await readImportMap();
  const seen = new Map<string, string>(); // absolute path -> content
  const queue = [start];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    const text = await Deno.readTextFile(file);
    seen.set(file, text);
    for (const m of text.matchAll(SPECIFIER)) {
      const target = resolveSpecifier(m[1] ?? m[2], file, importMap);
      if (target && !seen.has(target)) queue.push(target);
    }
  }
  const dirs = new Set([...seen.keys()].map((f) => relative(REPO_ROOT, dirname(f))));
  for (const assets of CODE_ASSET_DIRS) {
    if (dirs.has(dirname(assets))) {
      for (const f of await listFiles(join(REPO_ROOT, assets))) seen.set(f, await Deno.readTextFile(f));
    }
  }
  const files = [...seen.keys()].map((f) => relative(REPO_ROOT, f)).sort();
  const lines = files.map((f) => `${f} ${sha256(seen.get(join(REPO_ROOT, f))!)}`);
  lines.push(`imports ${JSON.stringify(importMap)}`);
  const version = { hash: sha256(lines.join("\n")), files };
  cache.set(start, version);
  return version;
}

function resolveSpecifier(spec: string, from: string, importMap: Record<string, string>): string | null {
  const mapped = importMap[spec];
  if (mapped !== undefined) {
    return mapped.startsWith("./") || mapped.startsWith("../") ? resolve(REPO_ROOT, mapped) : null;
  }
  if (!spec.startsWith("./") && !spec.startsWith("../")) return null; // npm:, node:, jsr: — pinned by the import map
  const path = resolve(dirname(from), spec);
  return path.startsWith(REPO_ROOT) && /\.(ts|js|json)$/.test(path) ? path : null;
}

async function readImportMap(): Promise<Record<string, string>> {
  const config = JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.json")));
  return config.imports ?? {};
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) out.push(...await listFiles(path));
      else if (e.isFile && !e.name.endsWith(".md")) out.push(path);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort();
}
