/** The report stage end to end: a results.csv, training logs and a manifest in; a complete report folder out. */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { buildReport } from "../reports/build_report.ts";
import { formatResultsCsv, type ResultRow } from "../reports/rows.ts";
import { main as reportMain } from "../tasks/report.ts";
import { InputError } from "../util/errors.ts";
import { sha256 } from "../util/fs.ts";

function results(): ResultRow[] {
  const out: ResultRow[] = [];
  // cola mcc: softmax (0.30, 0.59) and (0.32, 0.61) at fractions 1/2 and 1; CWT (0.57, 0.63) and (0.59, 0.65).
  const cola: Record<string, number[][]> = { softmax: [[0.30, 0.59], [0.32, 0.61]], cwt: [[0.57, 0.63], [0.59, 0.65]] };
  for (const [objective, perSeed] of Object.entries(cola)) {
    perSeed.forEach((values, seed) =>
      values.forEach((value, i) =>
        out.push({
          arch: "encoder",
          objective,
          seed,
          fraction: [0.5, 1][i],
          flops: [4e12, 8e12][i],
          tokens: [5e7, 1e8][i],
          wall_seconds: [50, 100][i],
          backend: "wasm",
          task: "cola",
          metric: "mcc",
          value,
          policy: "best-epoch",
        })
      )
    );
  }
  out.push({
    ...out[0],
    arch: "decoder",
    objective: "softmax",
    fraction: 1,
    task: "lambada_openai",
    metric: "acc",
    value: 0.19,
    policy: "",
  });
  return out;
}

async function fixture() {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "results.csv"), formatResultsCsv(results()));
  const manifest = JSON.stringify({
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

Deno.test("buildReport: results, summary, manifest, plots and report.md with tables, compute-to-match and figures", async () => {
  const { dir, manifest } = await fixture();
  const out = join(dir, "report");
  await Deno.mkdir(join(out, "plots"), { recursive: true });
  await Deno.writeTextFile(join(out, "plots", "stale.svg"), "<svg/>");
  const written = await buildReport({
    results: join(dir, "results.csv"),
    logs: [join(dir, "runs/*/train_log.csv")],
    out,
    generatedAt: "T0",
  });

  assertEquals(written.at(-1), join(out, "report.md"));
  assertEquals(await Deno.readTextFile(join(out, "results.csv")), await Deno.readTextFile(join(dir, "results.csv")));
  assertEquals(await Deno.readTextFile(join(out, "manifest.json")), manifest);
  assertEquals(
    (await Deno.readTextFile(join(out, "summary.csv"))).split("\n")[0].startsWith(
      "arch,objective,fraction,task,metric,policy,n,mean,std",
    ),
    true,
  );
  const svgs = [...Deno.readDirSync(join(out, "plots"))].map((e) => e.name).sort();
  assertEquals(svgs, [
    "flops-cola-mcc-best-epoch.svg",
    "flops-lambada_openai-acc.svg",
    "loss-encoder.svg",
    "wall-cola-mcc-best-epoch.svg",
    "wall-lambada_openai-acc.svg",
  ]);

  const md = await Deno.readTextFile(join(out, "report.md"));
  // Every embedded figure is a file next to the report.
  const links = [...md.matchAll(/!\[[^\]]*\]\((plots\/[^)]+)\)/g)].map((m) => m[1]);
  assertEquals(links.length, 5);
  for (const link of links) assert((await Deno.stat(join(out, link))).isFile, link);
  assertStringIncludes(md, "![cola mcc (best-epoch) vs FLOPs](plots/flops-cola-mcc-best-epoch.svg)");
  // Header: inputs, hashes, seeds, policy, budget, renderer, manifest quoted.
  assertStringIncludes(md, `sha256 ${sha256(formatResultsCsv(results()))}`);
  assertStringIncludes(md, `sha256 ${sha256(manifest)}), quoted as given:`);
  assertStringIncludes(md, '"tfjs": "4.22.0"');
  assertStringIncludes(md, "| encoder | cwt | 0, 1 | 50%, 100% | 8.000e+12 | best-epoch | wasm |");
  assertStringIncludes(md, "vega 6.4.0 + vega-lite 6.5.0");
  assertStringIncludes(md, "(encoder cwt seed 0, 2 rows)");
  // Table 1: CoLA measured (mean 0.64 ± 0.0141), the other tasks and the average not.
  assertStringIncludes(md, "| headless (CWT) | 100% | 0,1 | — | 64.00 ± 1.41 | — | — | — | — | — | — |");
  // Table 3: only the vanilla row measured.
  assertStringIncludes(md, "| vanilla (softmax head) | 100% | 0 | — | 19.00 | 170.23 | 19.52 |");
  assertStringIncludes(md, "| headless + LM fine-tuning | — | — | — | — | 153.50 | 22.20 |");
  // Compute to match on cola: target 0.60; CWT means 0.58 at 1/2 and 0.64 at 1: 0.5 + 0.02/0.06 · 0.5 = 0.667.
  // Pairs: target 0.59: c0 (0.57 → 0.63) 0.5 + 0.02/0.06·0.5 = 66.7%; c1 is at 0.59 already at its first
  // checkpoint: "≤ 50%". Target 0.61: c0 0.5 + 0.04/0.06·0.5 = 83.3%; c1 0.5 + 0.02/0.06·0.5 = 66.7%.
  // In wall-clock the same shares (CWT and softmax both took 100 s).
  assertStringIncludes(
    md,
    "| encoder | cola | mcc (×100) | best-epoch | 60.00 at 100% | 66.7% | ≤ 50%–83.3% (4 pairs) | 66.7% | ≤ 50%–83.3% (4 pairs) |",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("buildReport: results read from inside the report folder, no manifest, no logs", async () => {
  const { dir } = await fixture();
  await Deno.remove(join(dir, "manifest.json"));
  const before = await Deno.readTextFile(join(dir, "results.csv"));
  await buildReport({ results: join(dir, "results.csv"), out: dir, generatedAt: "T0" });
  assertEquals(await Deno.readTextFile(join(dir, "results.csv")), before);
  const md = await Deno.readTextFile(join(dir, "report.md"));
  assertStringIncludes(md, "No manifest.json was given or found beside the results");
  assertStringIncludes(md, "- Loss curves: no training logs given (--logs).");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("buildReport: several results files (a glob) are merged; the same result in two files names both places", async () => {
  const { dir } = await fixture();
  const all = results();
  await Deno.mkdir(join(dir, "eval", "a"), { recursive: true });
  await Deno.mkdir(join(dir, "eval", "b"), { recursive: true });
  await Deno.writeTextFile(join(dir, "eval", "a", "results.csv"), formatResultsCsv(all.slice(0, 4)));
  await Deno.writeTextFile(join(dir, "eval", "b", "results.csv"), formatResultsCsv(all.slice(4)));
  const out = join(dir, "merged");
  await reportMain(["--results", join(dir, "eval/*/results.csv"), "--out", out]);
  assertEquals(await Deno.readTextFile(join(out, "results.csv")), formatResultsCsv(all));
  const md = await Deno.readTextFile(join(out, "report.md"));
  assertStringIncludes(
    md,
    `\`${join(dir, "eval", "a", "results.csv")}\` (sha256 ${sha256(formatResultsCsv(all.slice(0, 4)))}), \`${
      join(dir, "eval", "b", "results.csv")
    }\``,
  );
  assertStringIncludes(md, "No manifest.json was given");
  await Deno.writeTextFile(join(dir, "eval", "b", "results.csv"), formatResultsCsv(all.slice(3)));
  const e = await assertRejects(() => buildReport({ results: [join(dir, "eval/*/results.csv")], out }), InputError);
  assertStringIncludes(
    e.message,
    `${join(dir, "eval", "b", "results.csv")}:2: the same result as ${join(dir, "eval", "a", "results.csv")}:5`,
  );
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
