/** results/: results.csv (tidy rows, the old layout converted), examples.csv, timings.csv and their links. */
import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "node:path";
import {
  canonicalMetric,
  type ExampleRow,
  formatExamplesCsv,
  formatResultsCsv,
  formatTimingsCsv,
  linkExamples,
  mergeResults,
  parseExamplesCsv,
  parseResults,
  parseResultsCsv,
  parseTimingsCsv,
  readResults,
  readResultsFile,
  RESULT_COLUMNS,
  type ResultRow,
  rowIdentity,
  writeResults,
} from "../results/mod.ts";
import { InputError } from "../util/errors.ts";
import { REPO_ROOT } from "../util/paths.ts";

const base: ResultRow = {
  model: "enc-small",
  arch: "encoder",
  objective: "cwt",
  design: "",
  pretrain_seed: 0,
  seed: 1,
  fraction: 0.125,
  flops: 1.5e13,
  tokens: 2048000,
  task: "cola",
  setup: "",
  lang: "",
  split: "dev",
  examples: 1043,
  metric: "mcc",
  value: 0.4321,
  policy: "best-epoch",
  backend: "wasm",
};
const HEADER = RESULT_COLUMNS.join(",");
const line = (r: Partial<ResultRow> = {}) => RESULT_COLUMNS.map((c) => String({ ...base, ...r }[c] ?? "")).join(",");

Deno.test("results.csv: write then read gives the same rows, sorted, details kept, fields with commas quoted", () => {
  const rows: ResultRow[] = [
    { ...base, seed: 2, value: -0.05, details: { epoch: "3" } },
    base,
    {
      ...base,
      objective: "softmax",
      backend: "wasm,simd",
      flops: 1e21,
      fraction: 1,
      task: "xnli",
      setup: "en",
      lang: "ar",
      examples: null,
      metric: "accuracy",
      value: 0.5,
    },
  ];
  const text = formatResultsCsv(rows);
  assertEquals(text.split("\n")[0], HEADER + ",epoch");
  assertStringIncludes(text, '"wasm,simd"');
  // Sorted: the cwt rows (seed 1, then seed 2) before softmax.
  assertEquals(parseResultsCsv(text, "r.csv"), [rows[1], rows[0], rows[2]]);
  assertEquals(formatResultsCsv([rows[2], rows[0], rows[1]]), text);
});

Deno.test("results.csv: columns in any order, extra columns are details, blank lines skipped, acc read as accuracy", () => {
  const cols = [...RESULT_COLUMNS].reverse();
  const values = cols.map((c) => String(c === "metric" ? "acc" : base[c]));
  const text = [[...cols, "note"].join(","), [...values, "hello"].join(","), ""].join("\n") + "\n";
  assertEquals(parseResultsCsv(text, "r.csv"), [{ ...base, metric: "accuracy", details: { note: "hello" } }]);
  assertEquals(["acc", "acc_norm", "ppl", "bpb", "mcc"].map(canonicalMetric), [
    "accuracy",
    "accuracy_norm",
    "perplexity",
    "bits_per_byte",
    "mcc",
  ]);
});

Deno.test("results.csv: a missing column names the file, line 1 and the expected header", () => {
  const text = HEADER.replace(",value", "") + "\n";
  const e = assertThrows(() => parseResultsCsv(text, "r.csv"), InputError);
  assertStringIncludes(e.message, "r.csv:1: results: missing column(s) value; expected a header with model, arch");
});

Deno.test("results.csv: bad fields name file, line, column and what was expected", () => {
  const cases: [Partial<Record<keyof ResultRow, string>>, string][] = [
    [{ value: "abc" }, 'column value is "abc"; expected a finite number'],
    [{ value: "" }, 'column value is ""; expected a finite number'],
    [{ value: "NaN" }, 'column value is "NaN"; expected a finite number'],
    [{ seed: "1.5" }, 'column seed is "1.5"; expected a non-negative integer'],
    [{ fraction: "-1" }, 'column fraction is "-1"; expected a number >= 0'],
    [{ examples: "2.5" }, 'column examples is "2.5"; expected a non-negative integer'],
    [{ task: " " }, "column task is empty; expected a non-empty name"],
  ];
  for (const [bad, expected] of cases) {
    const text = [HEADER, line(), line({ ...(bad as Partial<ResultRow>), seed: (bad.seed ?? 7) as number })].join("\n");
    const e = assertThrows(() => parseResultsCsv(text, "r.csv"), InputError);
    assertStringIncludes(e.message, `r.csv:3: ${expected}`);
  }
});

Deno.test("results.csv: a duplicate row names both lines; broken CSV names its line", () => {
  const dup = [HEADER, line(), line({ seed: 2 }), line({ value: 0.9 })].join("\n");
  assertStringIncludes(
    assertThrows(() => parseResultsCsv(dup, "r.csv"), InputError).message,
    "r.csv:4: duplicate of line 2 (enc-small cwt seed 0/1 fraction 0.125 cola dev mcc policy best-epoch)",
  );
  const short = [HEADER, line(), "enc-small,encoder,cwt"].join("\n");
  assertStringIncludes(
    assertThrows(() => parseResultsCsv(short, "r.csv"), InputError).message,
    "r.csv:3: not valid CSV",
  );
  assertStringIncludes(assertThrows(() => parseResultsCsv("", "r.csv"), InputError).message, "r.csv:1: empty file");
});

Deno.test("mergeResults: the same row in two files kept once; the same row with another value names both places", () => {
  const majority = { ...base, objective: "majority", fraction: 0, flops: 0, tokens: 0, seed: 0, policy: "" };
  const a = formatResultsCsv([base, majority]), b = formatResultsCsv([{ ...base, seed: 2 }, majority]);
  assertEquals(mergeResults([{ file: "a.csv", text: a }, { file: "b.csv", text: b }]).rows.length, 3);
  const c = formatResultsCsv([{ ...majority, value: 0.1 }]);
  assertStringIncludes(
    assertThrows(() => mergeResults([{ file: "a.csv", text: a }, { file: "c.csv", text: c }]), InputError).message,
    "c.csv:2: the same result as a.csv:3",
  );
});

Deno.test("results.csv: writeResults is atomic and readResults reads it back; a missing file is named", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "sub", "results.csv");
  await writeResults(path, [base]);
  assertEquals(await readResults(path), [base]);
  assertEquals([...Deno.readDirSync(join(dir, "sub"))].map((e) => e.name), ["results.csv"]);
  const e = await assertRejects(() => readResults(join(dir, "nope.csv")), InputError);
  assertStringIncludes(e.message, `${join(dir, "nope.csv")}: cannot read results`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("old layout: XNLI, MNLI and MRPC tidied, acc renamed, wall-clock moved to timings, model left empty", () => {
  const old = [
    "arch,objective,seed,fraction,flops,tokens,wall_seconds,backend,task,metric,value,policy,pretrain_seed",
    "encoder,cwt,1,1,8e12,1e8,100.5,wasm,xnli-target/de/test,accuracy,0.4,best-epoch,0",
    "encoder,cwt,1,1,8e12,1e8,100.5,wasm,mnli,accuracy_mismatched,0.6,best-epoch,0",
    "encoder,cwt,1,1,8e12,1e8,100.5,wasm,mnli,accuracy_pooled,0.61,best-epoch,0",
    "encoder,cwt,1,1,8e12,1e8,100.5,wasm,mrpc,f1,0.7,last-epoch,",
    "decoder,softmax,0,0.5,4e12,5e7,60,wasm,lambada_openai,acc,0.2,,",
  ].join("\n");
  const parsed = parseResults(old, "old.csv");
  assertEquals(parsed.legacy, true);
  const tidy = parsed.rows.map((r) => [r.model, r.task, r.setup, r.lang, r.split, r.metric, r.pretrain_seed, r.seed]);
  assertEquals(tidy, [
    ["", "xnli", "target", "de", "test", "accuracy", 0, 1],
    ["", "mnli", "", "", "dev_mismatched", "accuracy", 0, 1],
    ["", "mnli", "", "", "dev_matched+dev_mismatched", "accuracy", 0, 1],
    ["", "mrpc", "", "", "test (MSR)", "f1", 1, 1],
    ["", "lambada_openai", "", "", "test", "accuracy", 0, 0],
  ]);
  assertEquals(parsed.timings.map((t) => t.pretrain_seconds), [100.5, 100.5, 100.5, 100.5, 60]);
  assertEquals(parseResults(formatResultsCsv(parsed.rows), "new.csv").legacy, false);
});

Deno.test("old layout: the 2026-11-26 nightly baseline reads, every row tidied", async () => {
  const { rows, legacy, timings } = await readResultsFile(
    join(REPO_ROOT, "tests", "fixtures", "nightly-2026-11-26", "results.csv"),
  );
  assertEquals([legacy, rows.length, timings.length], [true, 464, 464]);
  assertEquals(rows.some((r) => r.task.startsWith("xnli-") || r.metric === "acc"), false);
  assertEquals(new Set(rows.filter((r) => r.task === "xnli").map((r) => r.setup)), new Set(["en", "target"]));
  assertEquals(rows.find((r) => r.task === "mrpc")!.split, "test (MSR)");
});

const example = (e: Partial<ExampleRow>): ExampleRow => ({
  task: "rte",
  seed: 0,
  policy: "best-epoch",
  example: "0",
  prediction: 1,
  label: 1,
  loglik: null,
  count: null,
  setup: "",
  lang: "",
  split: "dev",
  objective: "",
  metric: "",
  ...e,
});

Deno.test("examples.csv: round trip; the contract's columns alone are enough; bad numbers named", () => {
  const rows = [example({}), example({ example: "1", prediction: 0, loglik: -2.5, count: 1 })];
  const text = formatExamplesCsv(rows);
  assertEquals(
    text.split("\n")[0],
    "task,seed,policy,example,prediction,label,loglik,count,setup,lang,split,objective,metric",
  );
  assertEquals(parseExamplesCsv(text, "e.csv"), rows);
  const contract = "task,seed,policy,example,prediction,label,loglik,count\nblimp_x,0,,7,1,1,,\n";
  assertEquals(parseExamplesCsv(contract, "e.csv"), [
    example({ task: "blimp_x", policy: "", example: "7", split: "" }),
  ]);
  assertStringIncludes(
    assertThrows(() => parseExamplesCsv(contract.replace(",1,1,,", ",x,1,,"), "e.csv"), InputError).message,
    'e.csv:2: column prediction is "x"; expected a finite number',
  );
});

Deno.test("linkExamples: by task, setup, language, seed, policy, split (pooled ones too), metric and objective", () => {
  const row = (r: Partial<ResultRow>): ResultRow => ({ ...base, task: "rte", metric: "accuracy", seed: 0, ...r });
  const rows = [
    row({}),
    row({ policy: "last-epoch" }),
    row({ task: "mnli", split: "dev_matched+dev_mismatched" }),
    row({ objective: "majority", policy: "" }),
    row({ task: "mc/x", metric: "accuracy_norm", policy: "", split: "" }),
  ];
  const examples = [
    example({ example: "0" }),
    example({ example: "1", policy: "last-epoch" }),
    example({ task: "mnli", split: "dev_matched" }),
    example({ task: "mnli", split: "dev_mismatched" }),
    example({ policy: "", objective: "majority" }),
    example({ task: "mc/x", policy: "", split: "", metric: "accuracy" }),
    example({ task: "mc/x", policy: "", split: "", metric: "accuracy_norm", example: "9" }),
  ];
  const linked = linkExamples(rows, examples, rowIdentity);
  const ids = (r: ResultRow) => linked.get(rowIdentity(r))?.map((e) => `${e.split}:${e.example}`);
  assertEquals(ids(rows[0]), ["dev:0"]);
  assertEquals(ids(rows[1]), ["dev:1"]);
  assertEquals(ids(rows[2]), ["dev_matched:0", "dev_mismatched:0"]);
  assertEquals(ids(rows[3]), ["dev:0"]);
  assertEquals(ids(rows[4]), [":9"]);
  // A random-init checkpoint's stage: its rows are references too, but its examples (no objective) are its own.
  const rinit = [row({ objective: "random-init", fraction: 0 }), row({ objective: "majority", policy: "" })];
  const rinitExamples = [example({ example: "3" }), example({ policy: "", objective: "majority", example: "4" })];
  const rinitLinked = linkExamples(rinit, rinitExamples, rowIdentity);
  assertEquals(rinit.map((r) => rinitLinked.get(rowIdentity(r))?.map((e) => e.example)), [["3"], ["4"]]);
});

Deno.test("timings.csv: round trip, an unknown eval time empty", () => {
  const t = { ...base, pretrain_seconds: 12.5, eval_seconds: null, checkpoint: "pretrain:abc/ckpt/frac-1" };
  const text = formatTimingsCsv([t]);
  assertEquals(
    text.split("\n")[0],
    "model,arch,objective,design,pretrain_seed,seed,fraction,task,setup,lang,split,policy,pretrain_seconds,eval_seconds,checkpoint",
  );
  const [back] = parseTimingsCsv(text, "t.csv");
  assertEquals([back.pretrain_seconds, back.eval_seconds, back.checkpoint, back.task], [
    12.5,
    null,
    "pretrain:abc/ckpt/frac-1",
    "cola",
  ]);
});
