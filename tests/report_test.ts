/** The report stage end to end: results, examples, timings, training logs and a manifest in; a complete report folder out. */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { buildReport } from "../reports/build_report.ts";
import { type ExampleRow, formatExamplesCsv } from "../results/examples.ts";
import { formatResultsCsv, type ResultRow } from "../results/rows.ts";
import { formatTimingsCsv } from "../results/timings.ts";
import { main as reportMain } from "../tasks/report.ts";
import { InputError } from "../util/errors.ts";
import { sha256 } from "../util/fs.ts";

const N = 20;

/** One arm's rows and examples on a task: `right` of the N dev examples right (ids 0..right-1). */
function arm(objective: string, fraction: number, task: string, right: number) {
  const policy = "best-epoch";
  const row: ResultRow = {
    model: "enc-small",
    arch: "encoder",
    objective,
    design: "",
    pretrain_seed: 0,
    seed: 0,
    fraction,
    flops: 8e12 * fraction,
    tokens: 1e8 * fraction,
    task,
    setup: "",
    lang: "",
    split: "dev",
    examples: N,
    metric: "accuracy",
    value: right / N,
    policy,
    backend: "wasm",
  };
  const examples: ExampleRow[] = Array.from({ length: N }, (_, i) => ({
    task,
    seed: 0,
    policy,
    example: String(i),
    prediction: i < right ? 1 : 0,
    label: 1,
    loglik: null,
    count: null,
    setup: "",
    lang: "",
    split: "dev",
    objective,
    metric: "",
  }));
  return { row, examples };
}

// RTE: random init 10/20; softmax 12/20 at 50%, 14/20 at 100%; CWT 13/20, 18/20 (right on a superset of
// softmax's examples). SST-2: random init 10/20; softmax 19/20 at 100%; CWT 17/20 at 50%, 20/20 at 100%.
const ARMS = [
  arm("random-init", 0, "rte", 10),
  arm("softmax", 0.5, "rte", 12),
  arm("softmax", 1, "rte", 14),
  arm("cwt", 0.5, "rte", 13),
  arm("cwt", 1, "rte", 18),
  arm("random-init", 0, "sst2", 10),
  arm("softmax", 1, "sst2", 19),
  arm("cwt", 0.5, "sst2", 17),
  arm("cwt", 1, "sst2", 20),
];
const ROWS = ARMS.map((a) => a.row);

/** The folder of one arm's stage: its results.csv, examples.csv and timings.csv, as an evaluation stage writes them. */
async function stage(dir: string, a: ReturnType<typeof arm>): Promise<void> {
  const folder = join(dir, "stages", `${a.row.objective}-${a.row.task}-f${a.row.fraction}`);
  await Deno.mkdir(folder, { recursive: true });
  await Deno.writeTextFile(join(folder, "results.csv"), formatResultsCsv([a.row]));
  await Deno.writeTextFile(join(folder, "examples.csv"), formatExamplesCsv(a.examples));
  await Deno.writeTextFile(
    join(folder, "timings.csv"),
    formatTimingsCsv([{ ...a.row, pretrain_seconds: 100 * a.row.fraction, eval_seconds: 3, checkpoint: "c" }]),
  );
}

const STAGES = "stages/*/results.csv";

async function fixture() {
  const dir = await Deno.makeTempDir();
  for (const a of ARMS) await stage(dir, a);
  await Deno.writeTextFile(join(dir, "results.csv"), formatResultsCsv(ROWS));
  const manifest = JSON.stringify({
    profile: { name: "ci", file: "profiles/ci.json" },
    versions: { deno: "2.9.6", tfjs: "4.22.0" },
    backend: "wasm",
    config: { model: "enc-small" },
  });
  await Deno.writeTextFile(join(dir, "manifest.json"), manifest);
  for (const objective of ["softmax", "cwt"]) {
    const run = join(dir, "runs", objective);
    await Deno.mkdir(run, { recursive: true });
    await Deno.writeTextFile(
      join(run, "artifact.json"),
      JSON.stringify({
        format: "headless-bench-artifact/1",
        key: "k",
        files: {},
        spec: { arch: "encoder", objective, seed: 0 },
      }),
    );
    await Deno.writeTextFile(
      join(run, "train_log.csv"),
      "step,tokens,flops,seconds,loss,lr\n10,100,1e11,1,9,0.001\n20,200,2e11,2,8,0.001\n",
    );
  }
  return { dir, manifest };
}

Deno.test("buildReport: Findings first with intervals, verdicts, references and compute to match; every file written", async () => {
  const { dir, manifest } = await fixture();
  const out = join(dir, "report");
  await Deno.mkdir(join(out, "plots"), { recursive: true });
  await Deno.writeTextFile(join(out, "plots", "stale.svg"), "<svg/>");
  const written = await buildReport({
    results: join(dir, STAGES),
    logs: [join(dir, "runs/*/train_log.csv")],
    manifest: join(dir, "manifest.json"),
    out,
    generatedAt: "T0",
    resamples: 2000,
  });

  assertEquals(written.at(-1), join(out, "report.md"));
  for (const f of ["results.csv", "timings.csv", "results.json", "summary.csv", "comparisons.csv", "manifest.json"]) {
    assert(written.includes(join(out, f)), f);
  }
  assertEquals(await Deno.readTextFile(join(out, "results.csv")), formatResultsCsv(ROWS));
  assertEquals(await Deno.readTextFile(join(out, "manifest.json")), manifest);
  const svgs = [...Deno.readDirSync(join(out, "plots"))].map((e) => e.name).sort();
  assertEquals(svgs, [
    "flops-rte-accuracy-best-epoch.svg",
    "flops-sst2-accuracy-best-epoch.svg",
    "loss-encoder.svg",
    "wall-rte-accuracy-best-epoch.svg",
    "wall-sst2-accuracy-best-epoch.svg",
  ]);

  const md = await Deno.readTextFile(join(out, "report.md"));
  const lines = md.split("\n");
  // Findings first; the first table right after them, on the first screen.
  const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
  assert(at("## Findings") < at("**Table 1 shape") && at("**Table 1 shape") < 40, `Table 1 at line ${at("**Table 1")}`);
  assert(at("## Tables") < at("## Provenance"));
  // RTE: +20.00 points; CWT is right on a superset of softmax's examples, so a resample's difference is k/20 with
  // k ~ Binomial(20, 0.2): 2.5% point 1/20 (P(k = 0) = 1.2%, P(k ≤ 1) = 6.9%). Random init 10/20: its interval
  // is Binomial(20, 0.5)/20's, [6/20, 14/20] (P(k ≤ 5) = 2.1%, P(k ≤ 13) = 94.2% < 97.5% ≤ P(k ≤ 14) = 97.9%).
  // Softmax's 70.00 is inside it (bounds included): only CWT clears it, and compute to match is not meaningful.
  assertStringIncludes(
    md,
    "| default | encoder enc-small | cwt − softmax: RTE accuracy (dev), best-epoch | +20.00 [+5.00, ",
  );
  assertStringIncludes(md, "| better | random init 50.00 [30.00, 70.00]: only cwt clears it | not meaningful |");
  // SST-2: 95 (softmax) is beyond random init's interval. CWT's line through (4e12, 0.85) and (8e12, 1.00) reaches
  // 0.95 at log10 x = log10 4e12 + 0.10 / (0.15 / log10 2): x = 4e12 · 2^(2/3) = 6.35e12, 79% of softmax's 8e12.
  assertStringIncludes(md, "cwt − softmax: SST-2 accuracy (dev), best-epoch | +5.00 [");
  assertStringIncludes(md, "random init 50.00 [30.00, 70.00]: both clear it | 79% [");
  // Compute to match in wall-clock gives the same share (seconds are proportional to FLOPs here); the paper's is
  // in GPU-hours.
  assertStringIncludes(md, "| 50%–100% of softmax's FLOPs | 79% [");
  assertStringIncludes(md, "of GPU-hours, not of FLOPs");
  // Table 1 with the random-init reference.
  assertStringIncludes(md, "| reference: random init | 0% | 0/0 | — | — | — | 50.00 | — | — | — | — |");
  // Provenance: relative paths, hashes, the manifest in a line, renderer.
  assertStringIncludes(md, "- Results: 9 files under `../stages` (9) (paths and sha256 in results.json)");
  assertStringIncludes(
    md,
    `- Manifest: \`../manifest.json\` (sha256 ${sha256(manifest)}), in full there; profile \`ci\``,
  );
  assertStringIncludes(md, "vega 6.4.0 + vega-lite 6.5.0");
  assertEquals(md.includes(dir), false, "no absolute path in report.md");
  // Every embedded figure is a file next to the report.
  const links = [...md.matchAll(/!\[[^\]]*\]\((plots\/[^)]+)\)/g)].map((m) => m[1]);
  assertEquals(links.length, 5);
  for (const link of links) assert((await Deno.stat(join(out, link))).isFile, link);

  const json = JSON.parse(await Deno.readTextFile(join(out, "results.json")));
  const cwt = json.models.find((m: { model_name: string }) => m.model_name === "encoder enc-small cwt fraction 1");
  assertEquals(cwt.results["rte/dev/best-epoch"].accuracy, 0.9);
  // The bootstrap standard error of 18/20 right: about √(0.9 · 0.1 / 20) = 0.067.
  assert(Math.abs(cwt.results["rte/dev/best-epoch"].accuracy_stderr - 0.067) < 0.015);
  assertEquals(cwt["n-samples"]["rte/dev/best-epoch"], { original: 20, effective: 20 });
  assertEquals(json.config.inputs[0], {
    file: "../stages/cwt-rte-f0.5/results.csv",
    sha256: sha256(formatResultsCsv([ROWS[3]])),
  });
  const comparisons = (await Deno.readTextFile(join(out, "comparisons.csv"))).split("\n");
  assertStringIncludes(comparisons[0], "difference,difference_low,difference_high,verdict,resampled");
  assertStringIncludes(comparisons[0], "reference,clears_reference");
  assertStringIncludes(comparisons[1], ",random-init,cwt,");
  assertStringIncludes(comparisons[1], "1 pretraining seed × 1 fine-tuning seed × 20 examples");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("buildReport: results read from inside the report folder, no manifest, no logs", async () => {
  const { dir } = await fixture();
  await Deno.remove(join(dir, "manifest.json"));
  const before = await Deno.readTextFile(join(dir, "results.csv"));
  await buildReport({ results: join(dir, "results.csv"), out: dir, generatedAt: "T0", resamples: 50 });
  assertEquals(await Deno.readTextFile(join(dir, "results.csv")), before);
  const md = await Deno.readTextFile(join(dir, "report.md"));
  assertStringIncludes(md, "- Manifest: none given or found beside the results");
  assertStringIncludes(md, "- Loss curves: no training logs given (--logs).");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("buildReport: several results files (a glob) are merged; one result with two values names both places", async () => {
  const { dir } = await fixture();
  await Deno.mkdir(join(dir, "eval", "a"), { recursive: true });
  await Deno.mkdir(join(dir, "eval", "b"), { recursive: true });
  await Deno.writeTextFile(join(dir, "eval", "a", "results.csv"), formatResultsCsv(ROWS.slice(0, 4)));
  await Deno.writeTextFile(join(dir, "eval", "b", "results.csv"), formatResultsCsv(ROWS.slice(4)));
  const out = join(dir, "merged");
  await reportMain(["--results", join(dir, "eval/*/results.csv"), "--out", out]);
  assertEquals(await Deno.readTextFile(join(out, "results.csv")), formatResultsCsv(ROWS));
  const md = await Deno.readTextFile(join(out, "report.md"));
  assertStringIncludes(md, "- Results: `../eval/a/results.csv`, `../eval/b/results.csv`");
  assertStringIncludes(md, "- Manifest: none given");
  // The same row in both files with the same value (a reference written by two stages) is kept once.
  await Deno.writeTextFile(join(dir, "eval", "b", "results.csv"), formatResultsCsv(ROWS.slice(3)));
  await buildReport({ results: [join(dir, "eval/*/results.csv")], out, resamples: 50 });
  assertEquals(await Deno.readTextFile(join(out, "results.csv")), formatResultsCsv(ROWS));
  // With another value it is an error naming both places.
  await Deno.writeTextFile(
    join(dir, "eval", "b", "results.csv"),
    formatResultsCsv([{ ...ROWS[3], value: 0.1 }, ...ROWS.slice(4)]),
  );
  const e = await assertRejects(() => buildReport({ results: [join(dir, "eval/*/results.csv")], out }), InputError);
  assertStringIncludes(e.message, `${join(dir, "eval", "b", "results.csv")}:`);
  assertStringIncludes(e.message, `the same result as ${join(dir, "eval", "a", "results.csv")}:`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("tasks/report.ts: missing flags, stray arguments, unmatched globs and bad manifests are InputErrors", async () => {
  const { dir } = await fixture();
  const results = join(dir, "results.csv"), out = join(dir, "out");
  assertStringIncludes(
    (await assertRejects(() => reportMain(["--out", out]), InputError)).message,
    "--results is required",
  );
  assertStringIncludes(
    (await assertRejects(() => reportMain(["--results", results]), InputError)).message,
    "--out is required",
  );
  assertStringIncludes(
    (await assertRejects(
      () => reportMain(["--results", results, "--out", out, "--logs", "a.csv", "b.csv"]),
      InputError,
    )).message,
    'unexpected argument "b.csv": every input is a --flag of one value (quote glob patterns',
  );
  assertStringIncludes(
    (await assertRejects(() => reportMain(["--results", results, "--out", out, "--bogus"]), InputError)).message,
    "bogus",
  );
  const glob = join(dir, "nothing/*/train_log.csv");
  assertStringIncludes(
    (await assertRejects(() => reportMain(["--results", results, "--out", out, "--logs", glob]), InputError)).message,
    "matched no file",
  );
  await Deno.writeTextFile(join(dir, "manifest.json"), "{not json");
  assertStringIncludes(
    (await assertRejects(() => reportMain(["--results", results, "--out", out]), InputError)).message,
    `${join(dir, "manifest.json")}: not valid JSON`,
  );
  await Deno.remove(dir, { recursive: true });
});
