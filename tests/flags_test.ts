/**
 * One flag vocabulary across the tasks/ CLIs (util/flags.ts): every CLI's `--help` is read back, and a
 * flag name two CLIs share must carry the shared table's meaning; a stray positional argument is an error
 * in every CLI; `--version` prints deno.json's version and the git commit, and exits 0.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { DATA_CACHE_ENV } from "../data/cache.ts";
import { BACKEND_NAMES } from "../backends/names.ts";
import { SHARED_FLAGS, type SharedFlag, sharedFlags } from "../util/flags.ts";
import { REPO_ROOT } from "../util/paths.ts";
import { gitCommit, VERSION, versionLine } from "../util/version.ts";

/** tasks/test.ts hands its arguments to `deno test`: it has no flags of its own. */
const NOT_A_CLI = ["test.ts"];

/** CLIs that take positional arguments, and a count of them too many. */
const TOO_MANY: Record<string, string[]> = {
  "diff.ts": ["a", "b", "stray-argument"],
  "corpus.ts": ["english", "stray-argument"],
};

const CLIS = [...Deno.readDirSync(join(REPO_ROOT, "tasks"))]
  .map((e) => e.name)
  .filter((n) => n.endsWith(".ts") && !NOT_A_CLI.includes(n))
  .sort();

async function cli(file: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO_ROOT, "tasks", file), ...args],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout), stderr: new TextDecoder().decode(out.stderr) };
}

/** Every CLI's --help, --version and a stray argument, run once for all the tests below. */
const runs = new Map<string, Awaited<ReturnType<typeof cli>>[]>();
async function runAll() {
  if (runs.size) return runs;
  // Two at a time: each start loads the CLI's modules.
  for (let i = 0; i < CLIS.length; i += 2) {
    await Promise.all(
      CLIS.slice(i, i + 2).map(async (file) => {
        const stray = TOO_MANY[file] ?? ["stray-argument"];
        runs.set(file, await Promise.all([cli(file, "--help"), cli(file, "--version"), cli(file, ...stray)]));
      }),
    );
  }
  return runs;
}

/** The flag lines of a usage text: name, whether it takes a value, and the rest of the line. */
function flagLines(usage: string): { name: string; value: boolean; text: string }[] {
  return usage.split("\n").flatMap((line) => {
    const m = /^ {2}--([a-z0-9-]+)( VALUE)? {2}(.*)$/.exec(line);
    return m ? [{ name: m[1], value: m[2] !== undefined, text: m[3] }] : [];
  });
}

Deno.test("every tasks/ CLI: --help lists its flags, and a flag name two CLIs share has the shared meaning", async () => {
  const byName = new Map<string, string[]>();
  for (const [file, [help]] of await runAll()) {
    assertEquals(help.code, 0, `${file} --help: ${help.stderr}`);
    const lines = flagLines(help.stdout);
    assert(lines.some((l) => l.name === "help") && lines.some((l) => l.name === "version"), `${file}: ${help.stdout}`);
    for (const { name, value, text } of lines) {
      byName.set(name, [...(byName.get(name) ?? []), file]);
      const shared = SHARED_FLAGS[name as SharedFlag];
      if (!shared) continue;
      assertEquals(value, shared.type === "string", `${file} --${name}: takes a value or not, as the table says`);
      assert(text.startsWith(shared.help), `${file} --${name}: "${text}" does not start with "${shared.help}"`);
    }
  }
  const clash = [...byName].filter(([name, files]) =>
    files.length > 1 && !(name in SHARED_FLAGS) && !["help", "version"].includes(name)
  );
  assertEquals(clash, [], "flags defined by several CLIs outside util/flags.ts (add them to SHARED_FLAGS)");
  // The table is used: each of its flags by at least one CLI.
  assertEquals(Object.keys(SHARED_FLAGS).filter((n) => !byName.has(n)), []);
  assert(CLIS.length >= 12, `found ${CLIS.join(" ")}`);
});

Deno.test("every tasks/ CLI: a stray positional argument is an error (exit 2) naming it", async () => {
  for (const [file, [, , stray]] of await runAll()) {
    assertEquals(stray.code, 2, `${file}: ${stray.stdout}${stray.stderr}`);
    assertStringIncludes(stray.stderr, "error: ");
    if (TOO_MANY[file]) assertMatch(stray.stderr, /expected .* arguments? .*, got \d/);
    else assertStringIncludes(stray.stderr, `unexpected argument "stray-argument"`);
    assertEquals(stray.stdout, "", `${file}: nothing ran`);
  }
});

Deno.test("every tasks/ CLI: --version prints deno.json's version and the checkout's commit, exit 0", async () => {
  const commit = gitCommit();
  const expected = `headless-bench ${denoJson.version}${commit ? ` (commit ${commit})` : ""}\n`;
  assertMatch(VERSION, /^\d+\.\d+\.\d+/);
  for (const [file, [, version]] of await runAll()) {
    assertEquals([version.code, version.stdout], [0, expected], `${file}: ${version.stderr}`);
  }
});

Deno.test("versionLine: the commit of a git checkout (marked when modified), none elsewhere", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(versionLine(dir), `headless-bench ${VERSION}`);
    const git = (...args: string[]) =>
      new Deno.Command("git", {
        args: ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@t", ...args],
        stdout: "null",
        stderr: "null",
      }).outputSync();
    if (!git("init", "-q").success) return; // no git on this machine: nothing more to check
    await Deno.writeTextFile(join(dir, "f.txt"), "a\n");
    git("add", "f.txt");
    git("commit", "-q", "-m", "one");
    const head = new TextDecoder().decode(
      new Deno.Command("git", { args: ["-C", dir, "rev-parse", "HEAD"], stdout: "piped" }).outputSync().stdout,
    ).trim();
    assertEquals(versionLine(dir), `headless-bench ${VERSION} (commit ${head.slice(0, 12)})`);
    await Deno.writeTextFile(join(dir, "f.txt"), "b\n");
    assertEquals(gitCommit(dir), `${head.slice(0, 12)}-modified`);
    // A folder inside that repository is not a checkout of its own.
    await Deno.mkdir(join(dir, "inner"));
    assertEquals(gitCommit(join(dir, "inner")), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the shared table: backends and the cache variable as the code has them; a use sets defaults only", () => {
  assertStringIncludes(SHARED_FLAGS.backend.help, BACKEND_NAMES.join(" | "));
  assertStringIncludes(SHARED_FLAGS["cache-dir"].help, `$${DATA_CACHE_ENV}`);
  const spec = sharedFlags({ seeds: { default: "0,1" }, out: { required: true }, force: true });
  assertEquals(spec.seeds, { ...SHARED_FLAGS.seeds, default: "0,1" });
  assertEquals(spec.out, { ...SHARED_FLAGS.out, required: true });
  assertEquals(spec.force, SHARED_FLAGS.force);
});
