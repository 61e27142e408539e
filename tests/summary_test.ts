/** Mean ± std over seeds, derived GLUE averages, summary.csv, and the paper-shaped tables. */
import { assertAlmostEquals, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import type { ResultRow } from "../results/rows.ts";
import {
  allResultsTable,
  formatMeanStd,
  glueHeadline,
  glueTable1,
  lambadaTable3,
  MISSING,
  summarize,
  type SummaryRow,
  withDerivedRows,
  writeSummaryCsv,
} from "../reports/summary.ts";
import { row as resultRow } from "./fixtures/result_rows.ts";

const row = (r: Partial<ResultRow>): ResultRow => resultRow({ task: "cola", metric: "mcc", ...r });

// The paper's seven tasks and their headline score (metric and split: MNLI pooled, MRPC on the MSR test
// set); PAPER_SEVEN below sums to 5.6 (avg 0.8).
const PAPER_SEVEN: [string, number][] = [
  ["mrpc", 0.8],
  ["cola", 0.5],
  ["stsb", 0.85],
  ["sst2", 0.9],
  ["qnli", 0.88],
  ["qqp", 0.86],
  ["mnli", 0.81],
];
const headline = (task: string, value: number, r: Partial<ResultRow> = {}) =>
  row({ task, ...glueHeadline(task), value, ...r });

Deno.test("summarize: mean and sample std over seeds (hand-computed), policy kept apart, one seed has unknown std", () => {
  // 0.80, 0.82, 0.87: mean 0.83; deviations -0.03, -0.01, 0.04; Σ² = 0.0026; /2 = 0.0013; √ = 0.0360555.
  const rows = [
    row({ seed: 0, value: 0.80, flops: 7e12 }),
    row({ seed: 2, value: 0.87, flops: 9e12 }),
    row({ seed: 1, value: 0.82, flops: 8e12 }),
    row({ seed: 0, value: 0.70, policy: "last-epoch" }),
  ];
  const [best, last] = summarize(rows);
  assertEquals([best.policy, best.n, best.seeds, best.min, best.max], [
    "best-epoch",
    3,
    ["0/0", "0/1", "0/2"],
    0.80,
    0.87,
  ]);
  assertAlmostEquals(best.mean, 0.83, 1e-12);
  assertAlmostEquals(best.std, 0.0360555, 1e-7);
  assertAlmostEquals(best.flops, 8e12, 1);
  assertEquals([last.policy, last.n, last.mean, Number.isNaN(last.std)], ["last-epoch", 1, 0.70, true]);
  assertEquals(formatMeanStd(best), "83.00 ± 3.61");
  assertEquals(formatMeanStd(last), "70.00");
  assertEquals(formatMeanStd(undefined), MISSING);
  assertEquals(formatMeanStd({ ...best, metric: "perplexity", mean: 170.234, std: 9.2461 }), "170.23 ± 9.25");
});

Deno.test("withDerivedRows: the paper's GLUE average per seed where all seven tasks were measured, else one named by its tasks", () => {
  const rows = [
    ...PAPER_SEVEN.map(([task, value]) => headline(task, value, { seed: 0 })),
    ...PAPER_SEVEN.map(([task, value]) => headline(task, value + 0.07, { seed: 1 })),
    ...PAPER_SEVEN.filter(([t]) => t !== "cola").map(([task, value]) => headline(task, value, { seed: 2 })),
    row({ seed: 0, task: "rte", metric: "accuracy", value: 0.1 }), // not in the paper's average: no effect
  ];
  const derived = withDerivedRows(rows).slice(rows.length);
  assertEquals(derived.map((r) => [r.task, r.metric, r.seed]), [
    ["glue", "paper_avg", 0],
    ["glue", "paper_avg", 1],
    ["glue", "paper_avg_of_mrpc+stsb+sst2+qnli+qqp+mnli", 2],
  ]);
  assertAlmostEquals(derived[0].value, 0.8, 1e-12);
  assertAlmostEquals(derived[1].value, 0.87, 1e-12);
  // Seed 2 lacks CoLA: (5.6 - 0.5) / 6 = 0.85 over the other six, never called the paper's average.
  assertAlmostEquals(derived[2].value, 0.85, 1e-12);
  // One task is not an average.
  assertEquals(withDerivedRows([row({ seed: 0, task: "cola", metric: "mcc", value: 0.5 })]).length, 1);
  // Mean over the two seeds 0.835; std of (0.80, 0.87) = 0.07/√2 = 0.0494975.
  const avg = summarize(withDerivedRows(rows)).find((s) => s.task === "glue" && s.metric === "paper_avg")!;
  assertEquals(avg.n, 2);
  assertAlmostEquals(avg.std, 0.0494975, 1e-7);
});

Deno.test("Table 1: ours at the final fraction beside the paper's rows; unmeasured cells and the average show —", () => {
  const rows = [
    ...PAPER_SEVEN.map(([task, value]) => headline(task, value, { seed: 0 })),
    ...PAPER_SEVEN.map(([task, value]) => headline(task, value + 0.02, { seed: 1 })),
    ...PAPER_SEVEN.map(([task, value]) => headline(task, value - 0.3, { fraction: 0.5 })),
    row({ objective: "cwt", fraction: 1, task: "cola", metric: "mcc", value: 0.6 }),
    // References: random init fine-tuned like the others (policy kept), the majority class (no policy, no MCC avg).
    row({ objective: "random-init", fraction: 0, flops: 0, task: "cola", value: 0.1 }),
    row({ objective: "majority", fraction: 0, flops: 0, task: "cola", value: 0, policy: "" }),
    headline("mrpc", 0.68, { objective: "majority", fraction: 0, flops: 0, policy: "" }),
  ];
  const [table] = glueTable1(summarize(withDerivedRows(rows)));
  assertEquals(table.title, "Table 1 shape: GLUE, encoder, best-epoch");
  assertEquals(table.columns, [
    "model",
    "fraction",
    "seeds",
    "MRPC [test (MSR)]",
    "CoLA",
    "STS-B",
    "SST-2",
    "QNLI",
    "QQP",
    "MNLI",
    "avg",
  ]);
  // softmax: MRPC (0.80, 0.82) -> 81.00 ± 1.41 (0.02/√2 = 0.0141421); avg (0.80, 0.82) the same.
  assertEquals(table.rows[0], [
    "vanilla (softmax head)",
    "100%",
    "0/0,0/1",
    "81.00 ± 1.41",
    "51.00 ± 1.41",
    "86.00 ± 1.41",
    "91.00 ± 1.41",
    "89.00 ± 1.41",
    "87.00 ± 1.41",
    "82.00 ± 1.41",
    "81.00 ± 1.41",
  ]);
  assertEquals(table.rows[1], [
    "headless (CWT)",
    "100%",
    "0/0",
    MISSING,
    "60.00",
    MISSING,
    MISSING,
    MISSING,
    MISSING,
    MISSING,
    MISSING,
  ]);
  assertEquals(table.rows[2], ["reference: random init", "0%", "0/0", MISSING, "10.00", ...Array(6).fill(MISSING)]);
  assertEquals(table.rows[3], [
    "reference: majority class",
    "0%",
    "0/0",
    "68.00",
    "0.00",
    ...Array(6).fill(MISSING),
  ]);
  assertEquals(table.rows[4], [
    "paper: vanilla MLM, 4.1B tokens, 989 GPU-hours",
    "published",
    "3 (mean)",
    "85.87",
    "54.66",
    "83.70",
    "92.45",
    "88.38",
    "89.57",
    "82.40",
    "82.43",
  ]);
  assertEquals(table.rows.length, 7);
  assertStringIncludes(
    table.notes.join("\n"),
    "headless (CWT): not measured: mrpc, stsb, sst2, qnli, qqp, mnli; no avg (fewer than 2 of the 7 tasks).",
  );
});

Deno.test("Table 1 with QNLI, QQP and MNLI missing: a starred average over the four measured, the paper's over the same four", () => {
  const four = PAPER_SEVEN.filter(([t]) => ["mrpc", "cola", "stsb", "sst2"].includes(t));
  const rows = [
    ...four.map(([task, value]) => headline(task, value, { seed: 0 })),
    ...four.map(([task, value]) => headline(task, value + 0.02, { seed: 1 })),
  ];
  const [table] = glueTable1(summarize(withDerivedRows(rows)));
  // (0.8 + 0.5 + 0.85 + 0.9) / 4 = 0.7625 and 0.7825: 77.25 ± 1.41.
  assertEquals(table.rows[0].at(-1), "77.25 ± 1.41 *");
  // Paper vanilla: (85.87 + 54.66 + 83.70 + 92.45) / 4 = 79.17.
  assertEquals(table.rows[2].at(-1), "79.17 * (7 tasks: 82.43)");
  const notes = table.notes.join("\n");
  assertStringIncludes(
    notes,
    "* avg over the measured tasks only (MRPC CoLA STS-B SST-2), not the paper's 7-task average",
  );
  assertStringIncludes(
    notes,
    "vanilla (softmax head): not measured: qnli, qqp, mnli; its avg is over the measured tasks only (marked *).",
  );
});

Deno.test("Tables 1 and 3 with no measured rows: paper numbers beside rows of —", () => {
  const [t1] = glueTable1([]);
  assertEquals(t1.rows[0], ["vanilla (softmax head)", MISSING, MISSING, ...Array(8).fill(MISSING)]);
  const [t3] = lambadaTable3([]);
  assertEquals(t3.rows.map((r) => r.slice(1, 5).every((c) => c === MISSING)), [true, true, true]);
  assertEquals(t3.rows.map((r) => r.slice(5)), [["170.23", "19.52"], ["524.44", "18.26"], ["153.50", "22.20"]]);
});

Deno.test("Table 3: vanilla, raw Eᵀ head and LM-fine-tuned rows from the lambada task names", () => {
  const lam = (objective: string, task: string, seed: number, acc: number, ppl: number) => [
    row({ arch: "decoder", objective, task, seed, pretrain_seed: seed, metric: "accuracy", value: acc, policy: "" }),
    row({ arch: "decoder", objective, task, seed, pretrain_seed: seed, metric: "perplexity", value: ppl, policy: "" }),
  ];
  const rows = [
    ...lam("softmax", "lambada_openai", 0, 0.19, 180),
    ...lam("softmax", "lambada_openai", 1, 0.21, 160),
    ...lam("cwt", "lambada_openai", 0, 0.18, 500),
    ...lam("cwt", "lambada_openai", 0, 0.18, 500).map((r) => ({ ...r, fraction: 0.5, value: r.value * 2 })),
    ...lam("unigram", "lambada_openai", 0, 0, 3000).map((r) => ({ ...r, fraction: 0, flops: 0 })),
  ];
  const [t3] = lambadaTable3(summarize(rows));
  assertEquals(t3.title, "Table 3 shape: LAMBADA (OpenAI, test), decoder");
  assertEquals(t3.rows, [
    ["vanilla (softmax head)", "100%", "0/0,1/1", "170.00 ± 14.14", "20.00 ± 1.41", "170.23", "19.52"],
    ["headless, raw Eᵀ head", "100%", "0/0", "500.00", "18.00", "524.44", "18.26"],
    ["headless + LM fine-tuning", MISSING, MISSING, MISSING, MISSING, "153.50", "22.20"],
    ["reference: unigram LM", "0%", "0/0", "3000.00", "0.00", MISSING, MISSING],
  ]);
});

Deno.test("all-results table and summary.csv carry any new task or metric with no change", async () => {
  const rows = [
    row({ task: "new_task", metric: "new_metric", value: 1.5, fraction: 0.25 }),
    row({ task: "new_task", metric: "new_metric", value: 2.5, fraction: 1, seed: 0 }),
    row({ task: "new_task", metric: "new_metric", value: 3.5, fraction: 1, seed: 1 }),
  ];
  const summary: SummaryRow[] = summarize(rows);
  const table = allResultsTable(summary);
  assertEquals(table.columns.slice(-2), ["25%", "100%"]);
  assertEquals(table.rows, [[
    "encoder",
    "softmax",
    "new_task dev",
    "new_metric",
    "best-epoch",
    "0/0,0/1",
    "1.5",
    "3 ± 0.7071",
  ]]);
  const dir = await Deno.makeTempDir();
  const path = join(dir, "summary.csv");
  await writeSummaryCsv(path, summary);
  const lines = (await Deno.readTextFile(path)).trim().split("\n");
  assertEquals(
    lines[0],
    "arch,model,objective,design,fraction,task,setup,lang,split,metric,policy,n,mean,std,min,max,flops,tokens,wall_seconds,seeds",
  );
  assertEquals(
    lines[1],
    "encoder,enc-small,softmax,,0.25,new_task,,,dev,new_metric,best-epoch,1,1.5,,1.5,1.5,8000000000000,100000000,,0/0",
  );
  assertEquals(
    lines[2],
    "encoder,enc-small,softmax,,1,new_task,,,dev,new_metric,best-epoch,2,3,0.7071067811865476,2.5,3.5,8000000000000,100000000,,0/0 0/1",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("summarize: rows naming their pretraining seed pool (pretraining seed, fine-tuning seed) replicates", () => {
  const rows = [
    row({ pretrain_seed: 0, seed: 0, value: 0.5 }),
    row({ pretrain_seed: 0, seed: 1, value: 0.6 }),
    row({ pretrain_seed: 1, seed: 0, value: 0.7 }),
    row({ pretrain_seed: 10, seed: 0, value: 0.8 }),
  ];
  const [s] = summarize(rows);
  assertEquals([s.n, s.seeds], [4, ["0/0", "0/1", "1/0", "10/0"]]);
  assertAlmostEquals(s.mean, 0.65, 1e-12);
  // The GLUE average is derived per replicate: two pretraining seeds, one fine-tuning seed each.
  const seven = [0, 1].flatMap((p) => PAPER_SEVEN.map(([task, value]) => headline(task, value, { pretrain_seed: p })));
  assertEquals(withDerivedRows(seven).slice(seven.length).map((r) => [r.pretrain_seed, r.seed, r.metric]), [[
    0,
    0,
    "paper_avg",
  ], [1, 0, "paper_avg"]]);
});
