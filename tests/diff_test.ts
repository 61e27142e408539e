/** The results diff: moved means, the seed-noise flag, one-sided rows, and reading folders and git revisions. */
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { join } from "node:path";
import {
  checkNoiseFactor,
  type DiffFailure,
  diffFailures,
  diffResults,
  pooledStd,
  readResultsSource,
  renderDiffMarkdown,
  renderFailures,
} from "../reports/diff.ts";
import { formatResultsCsv, parseResultsCsv, readResultsFile, RESULT_COLUMNS, type ResultRow } from "../results/rows.ts";
import { InputError } from "../util/errors.ts";
import { REPO_ROOT } from "../util/paths.ts";

const row = (task: string, metric: string, seed: number, value: number, r: Partial<ResultRow> = {}): ResultRow => ({
  model: "enc-small",
  arch: "encoder",
  objective: "softmax",
  design: "",
  pretrain_seed: 0,
  seed,
  fraction: 1,
  flops: 8e12,
  tokens: 1e8,
  task,
  setup: "",
  lang: "",
  split: "dev",
  examples: null,
  metric,
  value,
  policy: "best-epoch",
  backend: "wasm",
  ...r,
});
const seeds = (task: string, metric: string, values: number[], r: Partial<ResultRow> = {}) =>
  values.map((v, seed) => row(task, metric, seed, v, r));
const lambada = { arch: "decoder", model: "dec-small", policy: "", split: "test" };

// A -> B:
//   cola mcc   0.50 0.52 0.54 -> 0.56 0.58 0.60: delta +0.06; both std 0.02, pooled 0.02, noise 0.04: beyond noise.
//   sst2 acc   0.90 0.92 0.94 -> 0.91 0.93 0.95: delta +0.01 < 0.04: within noise.
//   lambada acc (one seed) 0.20 -> 0.25: noise unknown.
//   qnli acc   unchanged;  rte only in B;  wnli only in A.
const A = [
  ...seeds("cola", "mcc", [0.50, 0.52, 0.54]),
  ...seeds("sst2", "accuracy", [0.90, 0.92, 0.94]),
  ...seeds("qnli", "accuracy", [0.88, 0.89]),
  ...seeds("wnli", "accuracy", [0.5]),
  row("lambada_openai", "accuracy", 0, 0.20, lambada),
];
const B = [
  ...seeds("cola", "mcc", [0.56, 0.58, 0.60]),
  ...seeds("sst2", "accuracy", [0.91, 0.93, 0.95]),
  ...seeds("qnli", "accuracy", [0.88, 0.89]),
  ...seeds("rte", "accuracy", [0.6]),
  row("lambada_openai", "accuracy", 0, 0.25, lambada),
];

Deno.test("pooledStd: weights each side's variance by its degrees of freedom; unknown with one seed each", () => {
  // n 3, std 0.02 and n 2, std 0.04: (2·0.0004 + 1·0.0016) / 3 = 0.0008 -> 0.0282843.
  assertAlmostEquals(pooledStd({ n: 3, std: 0.02 }, { n: 2, std: 0.04 }), 0.0282843, 1e-7);
  // One side with a single seed contributes nothing but takes no degree of freedom: (2·0.0004)/2 -> 0.02.
  assertAlmostEquals(pooledStd({ n: 3, std: 0.02 }, { n: 1, std: NaN }), 0.02, 1e-12);
  assertEquals(Number.isNaN(pooledStd({ n: 1, std: NaN }, { n: 1, std: NaN })), true);
});

Deno.test("diffResults: moved means with delta and noise, flags beyond 2σ, unchanged counted, one-sided rows listed", () => {
  const d = diffResults(A, B);
  const byTask = new Map(d.changed.filter((e) => e.new.task !== "glue").map((e) => [e.new.task, e]));
  assertEquals([...byTask.keys()].sort(), ["cola", "lambada_openai", "sst2"]);
  // The derived GLUE averages over the tasks each seed has (seeds 0, 1: CoLA SST-2 QNLI; seed 2: CoLA SST-2) moved too.
  const averages = d.changed.filter((e) => e.new.task === "glue");
  assertEquals(averages.map((e) => e.new.metric).sort(), ["paper_avg_of_cola+sst2", "paper_avg_of_cola+sst2+qnli"]);
  // (0.56+0.91+0.88)/3, (0.58+0.93+0.89)/3 against (0.50+0.90+0.88)/3, (0.52+0.92+0.89)/3: delta 0.0233 under 2σ = 0.0236.
  const three = averages.find((e) => e.new.metric === "paper_avg_of_cola+sst2+qnli")!;
  assertAlmostEquals(three.delta, 0.07 / 3, 1e-12);
  assertEquals(three.flagged, false);
  const cola = byTask.get("cola")!;
  assertAlmostEquals(cola.delta, 0.06, 1e-12);
  assertAlmostEquals(cola.noise, 0.04, 1e-12);
  assertEquals(cola.flagged, true);
  assertEquals(byTask.get("sst2")!.flagged, false);
  assertEquals([byTask.get("lambada_openai")!.flagged, Number.isNaN(byTask.get("lambada_openai")!.noise)], [
    false,
    true,
  ]);
  assertEquals(d.unchanged, 1);
  assertEquals(d.added.map((s) => s.task), ["rte"]);
  assertEquals(d.removed.map((s) => s.task), ["wnli"]);
  // With a noise factor of 0.1 (noise 0.004) the sst2 move of 0.01 is flagged too.
  assertEquals(
    diffResults(A, B, 0.1).changed.filter((e) => e.flagged && e.new.task !== "glue").map((e) => e.new.task).sort(),
    ["cola", "sst2"],
  );
});

Deno.test("renderDiffMarkdown: one table line per moved mean, in display units", () => {
  const md = renderDiffMarkdown(diffResults(A, B), { a: "old", b: "new" });
  assertStringIncludes(md, "## Results diff: old → new");
  assertStringIncludes(md, "5 mean(s) moved (1 beyond 2 × pooled seed std), 1 unchanged, 1 new, 1 gone.");
  assertStringIncludes(
    md,
    "| encoder | softmax | 100% | cola dev | mcc (×100) | best-epoch | 52.00 (n=3) | 58.00 (n=3) | +6.00 | 4.00 | **beyond noise** |",
  );
  assertStringIncludes(
    md,
    "| encoder | softmax | 100% | sst2 dev | accuracy (×100) | best-epoch | 92.00 (n=3) | 93.00 (n=3) | +1.00 | 4.00 | within noise |",
  );
  assertStringIncludes(
    md,
    "| decoder | softmax | 100% | lambada_openai test | accuracy (×100) | — | 20.00 (n=1) | 25.00 (n=1) | +5.00 | — | noise unknown (1 seed each) |",
  );
  assertStringIncludes(
    md,
    "**Only in new**\n\n| arch | objective | fraction | task | metric | policy | mean |\n|---|---|---|---|---|---|---|\n| encoder | softmax | 100% | rte dev | accuracy (×100) | best-epoch | 60.00 (n=1) |",
  );
  assertStringIncludes(md, "**Only in old**");
});

async function git(cwd: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("git", {
    args: ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", ...args],
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
}
const hasGit = await new Deno.Command("git", { args: ["--version"], stdout: "null", stderr: "null" }).output().then(
  (o) => o.success,
  () => false,
);

Deno.test("readResultsSource: a report folder, a results.csv, and an unknown name", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "rep"));
  await Deno.writeTextFile(join(dir, "rep", "results.csv"), formatResultsCsv(A));
  // Written sorted (results/rows.ts compareRows).
  const sortedA = parseResultsCsv(formatResultsCsv(A), "a.csv");
  assertEquals((await readResultsSource("rep", { cwd: dir })).rows, sortedA);
  assertEquals((await readResultsSource(join(dir, "rep", "results.csv"))).rows, sortedA);
  if (hasGit) {
    const e = await assertRejects(() => readResultsSource("no-such-thing", { cwd: dir }), InputError);
    assertStringIncludes(e.message, '"no-such-thing" is not a folder, a results.csv file, or a git revision');
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "readResultsSource + tasks/diff.ts: two git revisions of reports/<x>/results.csv",
  ignore: !hasGit,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    await git(dir, "init", "-q");
    await Deno.mkdir(join(dir, "reports", "nightly"), { recursive: true });
    const csv = join(dir, "reports", "nightly", "results.csv");
    await Deno.writeTextFile(csv, formatResultsCsv(A));
    await git(dir, "add", ".");
    await git(dir, "commit", "-q", "-m", "a");
    await Deno.writeTextFile(csv, formatResultsCsv(B));
    await git(dir, "commit", "-q", "-am", "b");

    const [sortedA, sortedB] = [A, B].map((rows) => parseResultsCsv(formatResultsCsv(rows), "x.csv"));
    const old = await readResultsSource("HEAD~1", { cwd: dir });
    assertEquals([old.location, old.rows], ["HEAD~1:reports/nightly/results.csv", sortedA]);
    assertEquals((await readResultsSource("HEAD:reports/nightly", { cwd: dir })).rows, sortedB);
    assertEquals((await readResultsSource("HEAD~1", { cwd: dir, reportDir: "reports/nightly/" })).rows, sortedA);
    const missing = await assertRejects(() => readResultsSource("HEAD:reports/other", { cwd: dir }), InputError);
    assertStringIncludes(missing.message, "HEAD:reports/other does not exist");

    // A second report folder makes a bare revision ambiguous.
    await Deno.mkdir(join(dir, "reports", "weekly"));
    await Deno.writeTextFile(join(dir, "reports", "weekly", "results.csv"), formatResultsCsv(A));
    await git(dir, "add", ".");
    await git(dir, "commit", "-q", "-m", "c");
    const ambiguous = await assertRejects(() => readResultsSource("HEAD", { cwd: dir }), InputError);
    assertStringIncludes(
      ambiguous.message,
      "several report folders (reports/nightly/results.csv, reports/weekly/results.csv)",
    );

    const run = (...args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", join(REPO_ROOT, "tasks", "diff.ts"), ...args],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const ok = await run("HEAD~2", "HEAD~1", "--report-dir", "reports/nightly");
    const text = new TextDecoder().decode(ok.stdout);
    assertEquals(ok.code, 0, new TextDecoder().decode(ok.stderr));
    assertStringIncludes(
      text,
      "## Results diff: HEAD~2:reports/nightly/results.csv → HEAD~1:reports/nightly/results.csv",
    );
    assertStringIncludes(
      text,
      "| cola dev | mcc (×100) | best-epoch | 52.00 (n=3) | 58.00 (n=3) | +6.00 | 4.00 | **beyond noise** |",
    );
    assertEquals((await run("HEAD~2", "HEAD~1", "--report-dir", "reports/nightly", "--fail-on-flag")).code, 1);
    const bad = await run("HEAD~2");
    assertEquals(bad.code, 2);
    assertStringIncludes(new TextDecoder().decode(bad.stderr), "error: diff: expected 2 arguments A B, got 1");
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test("diffFailures: beyond noise, unjudged (one seed each side) unless allowed, and rows B lost", () => {
  const d = diffResults(A, B);
  const listed = (fs: DiffFailure[]) => fs.map((f) => `${f.kind} ${f.row.task} ${f.row.metric}`);
  // The derived average over CoLA and SST-2 exists for seed 2 only: one value each side, unjudged too.
  assertEquals(listed(diffFailures(d)), [
    "unjudged lambada_openai accuracy",
    "beyond-noise cola mcc",
    "unjudged glue paper_avg_of_cola+sst2",
    "removed wnli accuracy",
  ]);
  assertEquals(listed(diffFailures(d, { allowUnjudged: true })), ["beyond-noise cola mcc", "removed wnli accuracy"]);
  const text = renderFailures(diffFailures(d));
  assertStringIncludes(text, "**Failing (--fail-on-flag): 4**");
  assertStringIncludes(
    text,
    "- encoder · softmax · 100% · cola dev · mcc (×100) · best-epoch: 52.00 (n=3) → 58.00 (n=3) (+6.00): beyond the noise, 4.00\n",
  );
  assertStringIncludes(
    text,
    "- decoder · softmax · 100% · lambada_openai test · accuracy (×100) · —: 20.00 (n=1) → 25.00 (n=1) (+5.00): cannot be judged " +
      "with one seed on each side (run more seeds, or pass --allow-unjudged)\n",
  );
  assertStringIncludes(
    text,
    "- encoder · softmax · 100% · wnli dev · accuracy (×100) · best-epoch: 50.00 (n=1) in A, missing from B\n",
  );
  // B lost every row: every summary of A (the derived GLUE averages too) is a failure.
  const lost = diffFailures(diffResults(A, []));
  assertEquals(lost.length, diffResults(A, A).unchanged);
  assertEquals(lost.every((f) => f.kind === "removed"), true);
  assertEquals(diffFailures(diffResults(A, A)), []);
});

Deno.test("the 2026-11-26 nightly baseline (old layout) lines up with the same rows in the new layout", async () => {
  const nightly = join(REPO_ROOT, "tests", "fixtures", "nightly-2026-11-26");
  const old = await readResultsSource(nightly);
  const { rows } = await readResultsFile(join(nightly, "results.csv"));
  // The same rows written in the new layout, with their model named: nothing moved, nothing gained or lost.
  const named = rows.map((r) => ({ ...r, model: r.arch === "decoder" ? "dec-small" : "enc-small" }));
  const same = diffResults(old.rows, parseResultsCsv(formatResultsCsv(named), "new.csv"));
  assertEquals([same.changed.length, same.added.length, same.removed.length], [0, 0, 0]);
  assert(same.unchanged > 200, `${same.unchanged} unchanged`);
  // One LAMBADA value moved (in no GLUE average): one entry changed.
  const first = named.findIndex((r) => r.task === "lambada_openai");
  const moved = named.map((r, i) => (i === first ? { ...r, value: r.value + 0.5 } : r));
  assertEquals(diffResults(old.rows, moved).changed.map((e) => e.new.task), ["lambada_openai"]);
});

Deno.test("a noise factor must be finite and >= 0", () => {
  for (const bad of [-1, NaN, Infinity]) {
    assertThrows(() => checkNoiseFactor(bad), InputError, `--noise-factor is ${bad}; expected a finite number >= 0`);
    assertThrows(() => diffResults(A, B, bad), InputError, "--noise-factor");
  }
  assertEquals(checkNoiseFactor(0), 0);
});

Deno.test("tasks/diff.ts --fail-on-flag: exit 1 on a lost side and a one-seed +50 move; bad flags one line; --help", async () => {
  const dir = await Deno.makeTempDir();
  const write = (name: string, rows: ResultRow[]) => Deno.writeTextFile(join(dir, name), formatResultsCsv(rows));
  await write("a.csv", [row("rte", "accuracy", 0, 0.5)]);
  await write("b.csv", [row("rte", "accuracy", 0, 1.0)]);
  await Deno.writeTextFile(join(dir, "empty.csv"), RESULT_COLUMNS.join(",") + "\n");
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(REPO_ROOT, "tasks", "diff.ts"), ...args],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  };
  try {
    const plain = await run("a.csv", "b.csv");
    assertEquals(plain.code, 0, plain.stderr);
    const onePoint = await run("a.csv", "b.csv", "--fail-on-flag");
    assertEquals(onePoint.code, 1);
    assertStringIncludes(onePoint.stdout, "**Failing (--fail-on-flag): 1**");
    assertStringIncludes(onePoint.stdout, "50.00 (n=1) → 100.00 (n=1) (+50.00): cannot be judged with one seed");
    assertEquals(onePoint.stderr.trim(), "diff: failing (--fail-on-flag): 1 unjudged");
    assertEquals((await run("a.csv", "b.csv", "--fail-on-flag", "--allow-unjudged")).code, 0);

    const lost = await run("a.csv", "empty.csv", "--fail-on-flag", "--allow-unjudged");
    assertEquals(lost.code, 1);
    assertStringIncludes(lost.stdout, "rte dev · accuracy (×100) · best-epoch: 50.00 (n=1) in A, missing from B");
    assertEquals(lost.stderr.trim(), "diff: failing (--fail-on-flag): 1 removed");

    for (const bad of ["--noise-factor=-1", "--noise-factor=Infinity", "--noise-factor=x"]) {
      const r = await run("a.csv", "b.csv", bad);
      assertEquals([r.code, r.stderr.trim().split("\n").length], [2, 1], r.stderr);
      assertStringIncludes(r.stderr, "error: --noise-factor");
    }
    const help = await run("--help");
    assertEquals(help.code, 0);
    assertStringIncludes(help.stdout, "usage: deno task diff [flags] A B\n  A, B: report folders, results.csv files");
    assertStringIncludes(help.stdout, "--allow-unjudged");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
