/**
 * .github/workflows/nightly.yml (and weekly.yml, last test) against the code it runs: its pinned GLUE tasks are those of the committed
 * baseline (reports/nightly), every Deno command keeps deno.lock frozen, each `deno run` command line
 * parses with the CLI it calls, the data cache is restored from any earlier run and saved after a failure
 * too, and the diff goes into the job summary and fails on flagged moves.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { join } from "node:path";
import { GLUE_TASK_NAMES } from "../data/glue.ts";
import { parseResultsCsv } from "../results/rows.ts";
import { REPO_ROOT } from "../util/paths.ts";

const WORKFLOW = await Deno.readTextFile(join(REPO_ROOT, ".github", "workflows", "nightly.yml"));
const BASELINE = join(REPO_ROOT, "reports", "nightly");

/** The `run:` commands of the workflow, each a logical line (block scalars joined, continuations kept). */
function runCommands(yaml: string): string[] {
  const lines = yaml.split("\n");
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)(?:- )?run: (.*)$/.exec(lines[i]);
    if (!m) continue;
    if (m[2] !== "|") {
      out.push(m[2]);
      continue;
    }
    const indent = m[1].length;
    while (i + 1 < lines.length && (lines[i + 1].trim() === "" || lines[i + 1].search(/\S/) > indent)) {
      if (lines[++i].trim()) out.push(lines[i].trim());
    }
  }
  return out;
}

/** The env value of `name` in the workflow (single-quoted or plain). */
function envValue(name: string): string {
  const m = new RegExp(`^\\s+${name}: '?(.*?)'?$`, "m").exec(WORKFLOW);
  assert(m, `env ${name} in nightly.yml`);
  return m[1];
}

Deno.test("nightly.yml pins the GLUE tasks of the committed baseline, not all-in-cache", async () => {
  const pinned = JSON.parse(envValue("NIGHTLY_GLUE_TASKS")) as string[];
  const rows = parseResultsCsv(await Deno.readTextFile(join(BASELINE, "results.csv")), "results.csv");
  const baseline = [...new Set(rows.map((r) => r.task).filter((t) => GLUE_TASK_NAMES.includes(t)))];
  assertEquals([...pinned].sort(), baseline.sort());
  assert(WORKFLOW.includes(`--set "glue.tasks=$NIGHTLY_GLUE_TASKS"`));
});

Deno.test("nightly.yml: deno.lock frozen everywhere; caches restored from any earlier run, data saved after failures", () => {
  const commands = runCommands(WORKFLOW);
  const deno = commands.filter((c) => /(^|\s)deno (run|install|task)\b/.test(c));
  assert(deno.some((c) => c === "deno install --frozen"), deno.join("\n"));
  for (const c of deno) assertMatch(c, /deno (run|install) --frozen/, `not frozen: ${c}`);
  assertMatch(
    WORKFLOW,
    /key: headless-bench-data-v2-\$\{\{ github\.run_id \}\}\n\s+restore-keys: headless-bench-data-v2-\n/,
  );
  assertMatch(
    WORKFLOW,
    /if: always\(\) && steps\.data-key\.outputs\.key != steps\.data-cache\.outputs\.cache-matched-key/,
  );
  assertMatch(WORKFLOW, /key: deno-\$\{\{ runner\.os \}\}-2\.9\.6-\$\{\{ hashFiles\('deno\.lock'\) \}\}/);
});

/** Runs a tasks/ CLI with the workflow's arguments. */
async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return { code: r.code, out: new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr) };
}

Deno.test("nightly.yml: its reproduce command parses (plan only) and its diff of the baseline with itself passes", async () => {
  const commands = runCommands(WORKFLOW);
  const reproduce = commands.find((c) => c.includes("tasks/reproduce.ts"));
  assertEquals(
    reproduce,
    `deno run --frozen -A tasks/reproduce.ts --profile "$PROFILE" "\${pin[@]}" --out out/reproduce`,
  );
  const out = await Deno.makeTempDir();
  try {
    const plan = await cli([
      "tasks/reproduce.ts",
      "--profile",
      "nightly",
      "--set",
      `glue.tasks=${envValue("NIGHTLY_GLUE_TASKS")}`,
      "--out",
      out,
      "--plan",
    ]);
    assertEquals(plan.code, 0, plan.out);
    assert(plan.out.includes("reproduce: profile nightly"), plan.out);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
  const diff = commands.find((c) => c.includes("tasks/diff.ts"))!;
  assertEquals(
    diff,
    `deno run --frozen -A tasks/diff.ts reports/nightly out/reproduce --fail-on-flag | tee -a "$GITHUB_STEP_SUMMARY"`,
  );
  assert(commands.includes("set -o pipefail"), "the diff's exit status survives the tee");
  const self = await cli(["tasks/diff.ts", "reports/nightly", "reports/nightly", "--fail-on-flag"]);
  assertEquals(self.code, 0, self.out);
  assert(self.out.includes("0 mean(s) moved"), self.out);
});

const WEEKLY = await Deno.readTextFile(join(REPO_ROOT, ".github", "workflows", "weekly.yml"));

Deno.test("weekly.yml: legs one at a time, long enough for 24 hours, each resuming the last one's folder", async () => {
  const legs = /leg: \[([\d, ]+)\]/.exec(WEEKLY);
  assert(legs, "a matrix of legs");
  const minutes = Number(/timeout --signal=INT --kill-after=2m (\d+)m /.exec(WEEKLY)?.[1]);
  assert(legs[1].split(",").length * minutes >= 24 * 60, `${legs[1]} legs of ${minutes} min`);
  assert(
    minutes + 20 <= Number(/timeout-minutes: (\d+)/.exec(WEEKLY)?.[1]),
    "a leg's reproduce ends before its job does",
  );
  assertMatch(WEEKLY, /max-parallel: 1\n/);
  assertMatch(WEEKLY, /restore-keys: weekly-out-\$\{\{ github\.run_id \}\}-\n/);
  const commands = runCommands(WEEKLY);
  for (const c of commands.filter((c) => /(^|\s)deno (run|install)\b/.test(c))) {
    assertMatch(c, /deno (run|install) --frozen/, `not frozen: ${c}`);
  }
  assert(commands.some((c) => c.includes("find out/weekly -name .lock -type f -delete")));
  const reproduce = commands.find((c) => c.includes("tasks/reproduce.ts"))!;
  const args = reproduce.split(/\s+/).slice(reproduce.split(/\s+/).indexOf("tasks/reproduce.ts"));
  const out = await Deno.makeTempDir();
  try {
    const plan = await cli([...args.slice(0, args.indexOf("--out")), "--out", out, "--plan"]);
    assertEquals(plan.code, 0, plan.out);
    assert(plan.out.includes("reproduce: profile weekly"), plan.out);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
