/** results.csv and train_log.csv: round trips, and every bad input named by file, line and expectation. */
import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "node:path";
import {
  formatResultsCsv,
  parseResultsCsv,
  parseTrainingLogCsv,
  readResults,
  readTrainingLog,
  RESULT_COLUMNS,
  type ResultRow,
  writeResults,
} from "../reports/rows.ts";
import { InputError } from "../util/errors.ts";

const base: ResultRow = {
  arch: "encoder",
  objective: "cwt",
  seed: 0,
  fraction: 0.125,
  flops: 1.5e13,
  tokens: 2048000,
  wall_seconds: 3600.5,
  backend: "wasm",
  task: "cola",
  metric: "mcc",
  value: 0.4321,
  policy: "best-epoch",
};
const HEADER = RESULT_COLUMNS.join(",");
const line = (r: Partial<ResultRow> = {}) => RESULT_COLUMNS.map((c) => String({ ...base, ...r }[c])).join(",");

Deno.test("results.csv: write then read gives the same rows, quoting fields with commas", () => {
  const rows = [
    base,
    { ...base, seed: 1, value: -0.05, policy: "" },
    {
      ...base,
      objective: "softmax",
      backend: "wasm,simd",
      flops: 1e21,
      fraction: 1,
      task: "lambada_openai",
      metric: "perplexity",
      value: 170.23,
    },
  ];
  const text = formatResultsCsv(rows);
  assertEquals(text.split("\n")[0], HEADER);
  assertStringIncludes(text, '"wasm,simd"');
  assertEquals(parseResultsCsv(text, "r.csv"), rows);
});

Deno.test("results.csv: columns in any order, extra columns ignored, blank lines skipped", () => {
  const cols = [...RESULT_COLUMNS].reverse();
  const text = [[...cols, "note"].join(","), [...cols.map((c) => String(base[c])), "hello"].join(","), ""].join("\n") +
    "\n";
  assertEquals(parseResultsCsv(text, "r.csv"), [base]);
});

Deno.test("results.csv: a missing column names the file, line 1 and the expected header", () => {
  const text = HEADER.replace(",value", "") + "\n";
  const e = assertThrows(() => parseResultsCsv(text, "r.csv"), InputError);
  assertStringIncludes(e.message, "r.csv:1: results: missing column(s) value; expected a header with arch, objective");
});

Deno.test("results.csv: bad fields name file, line, column and what was expected", () => {
  const cases: [Partial<Record<keyof ResultRow, string>>, string][] = [
    [{ value: "abc" }, 'column value is "abc"; expected a finite number'],
    [{ value: "" }, 'column value is ""; expected a finite number'],
    [{ value: "NaN" }, 'column value is "NaN"; expected a finite number'],
    [{ seed: "1.5" }, 'column seed is "1.5"; expected a non-negative integer'],
    [{ fraction: "-0.5" }, 'column fraction is "-0.5"; expected a number >= 0'],
    [{ flops: "-1" }, 'column flops is "-1"; expected a number >= 0'],
    [{ task: " " }, "column task is empty; expected a non-empty name"],
  ];
  for (const [bad, expected] of cases) {
    const text = [
      HEADER,
      line(),
      line({ ...(bad as Partial<ResultRow>), seed: bad.seed === undefined ? 1 : bad.seed as unknown as number }),
    ].join("\n");
    const e = assertThrows(() => parseResultsCsv(text, "r.csv"), InputError);
    assertStringIncludes(e.message, `r.csv:3: ${expected}`);
  }
});

Deno.test("results.csv: a duplicate row names both lines; broken CSV names its line", () => {
  const dup = [HEADER, line(), line({ seed: 1 }), line({ value: 0.9 })].join("\n");
  assertStringIncludes(
    assertThrows(() => parseResultsCsv(dup, "r.csv"), InputError).message,
    "r.csv:4: duplicate of line 2",
  );
  const short = [HEADER, line(), "encoder,cwt,0"].join("\n");
  assertStringIncludes(
    assertThrows(() => parseResultsCsv(short, "r.csv"), InputError).message,
    "r.csv:3: not valid CSV",
  );
  const quote = [HEADER, line({ backend: '"wasm' })].join("\n");
  assertStringIncludes(
    assertThrows(() => parseResultsCsv(quote, "r.csv"), InputError).message,
    "r.csv:2: not valid CSV",
  );
  assertStringIncludes(assertThrows(() => parseResultsCsv("", "r.csv"), InputError).message, "r.csv:1: empty file");
});

Deno.test("results.csv: writeResults is atomic (no temp file left) and readResults reads it back; a missing file is named", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "sub", "results.csv");
  await writeResults(path, [base]);
  assertEquals(await readResults(path), [base]);
  assertEquals([...Deno.readDirSync(join(dir, "sub"))].map((e) => e.name), ["results.csv"]);
  const e = await assertRejects(() => readResults(join(dir, "nope.csv")), InputError);
  assertStringIncludes(e.message, `${join(dir, "nope.csv")}: cannot read results`);
  await Deno.remove(dir, { recursive: true });
});

const LOG =
  "step,tokens,flops,seconds,loss,lr,grad_norm,tokens_per_s\n10,20480,8e11,5.5,7.25,0.001,1.5,3700\n20,40960,1.6e12,11,NaN,0.001,2,3720\n";

Deno.test("training log: required columns parsed, extra columns kept as text, a NaN loss tolerated", () => {
  const rows = parseTrainingLogCsv(LOG, "log.csv");
  assertEquals(rows[0], {
    step: 10,
    tokens: 20480,
    flops: 8e11,
    seconds: 5.5,
    loss: 7.25,
    extra: { lr: "0.001", grad_norm: "1.5", tokens_per_s: "3700" },
  });
  assertEquals(Number.isNaN(rows[1].loss), true);
  const bad = LOG.replace("20,40960", "x,40960");
  assertStringIncludes(
    assertThrows(() => parseTrainingLogCsv(bad, "log.csv"), InputError).message,
    'log.csv:3: column step is "x"; expected a number >= 0',
  );
  const noLoss = "step,tokens,flops,seconds\n1,2,3,4\n";
  assertStringIncludes(
    assertThrows(() => parseTrainingLogCsv(noLoss, "log.csv"), InputError).message,
    "log.csv:1: training log: missing column(s) loss",
  );
});

Deno.test("training log: the run is named by its pretraining record beside it, or by arch/objective/seed columns, else an error", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "train_log.csv");
  await Deno.writeTextFile(path, LOG);
  const e = await assertRejects(() => readTrainingLog(path), InputError);
  assertStringIncludes(e.message, `${path}: cannot tell which run this log belongs to`);
  const record = (spec: unknown) => JSON.stringify({ format: "headless-bench-artifact/1", key: "k", files: {}, spec });
  await Deno.writeTextFile(join(dir, "artifact.json"), record({ arch: "decoder", objective: "cwt", seed: 3 }));
  const log = await readTrainingLog(path);
  assertEquals([log.arch, log.objective, log.seed, log.rows.length], ["decoder", "cwt", 3, 2]);
  await Deno.writeTextFile(join(dir, "artifact.json"), record({ objective: "cwt" }));
  assertStringIncludes(
    (await assertRejects(() => readTrainingLog(path), InputError)).message,
    "expected spec.arch",
  );
  const other = join(dir, "cols.csv");
  await Deno.writeTextFile(
    other,
    "arch,objective,seed,step,tokens,flops,seconds,loss\nencoder,softmax,2,1,10,100,1,9.5\nencoder,softmax,2,2,20,200,2,9\n",
  );
  const byColumns = await readTrainingLog(other);
  assertEquals([byColumns.arch, byColumns.objective, byColumns.seed, byColumns.rows[1].loss], [
    "encoder",
    "softmax",
    2,
    9,
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("results.csv: an optional pretrain_seed column is read, written, and part of a row's identity", () => {
  const text = [HEADER + ",pretrain_seed,epoch", line() + ",0,3", line() + ",1,4", line({ seed: 1 }) + ",,2"].join(
    "\n",
  );
  const rows = parseResultsCsv(text, "r.csv");
  assertEquals(rows.map((r) => [r.pretrain_seed, r.seed]), [[0, 0], [1, 0], [undefined, 1]]);
  assertEquals("pretrain_seed" in rows[2], false);
  assertEquals(parseResultsCsv(formatResultsCsv(rows), "r.csv"), rows);
  assertEquals(formatResultsCsv(rows).split("\n")[0], HEADER + ",pretrain_seed");
  assertEquals(formatResultsCsv([base]).split("\n")[0], HEADER);
  const dup = [HEADER + ",pretrain_seed", line() + ",1", line() + ",1"].join("\n");
  assertStringIncludes(
    assertThrows(() => parseResultsCsv(dup, "r.csv"), InputError).message,
    "r.csv:3: duplicate of line 2 (encoder cwt seed 1/0",
  );
  const bad = [HEADER + ",pretrain_seed", line() + ",x"].join("\n");
  assertStringIncludes(
    assertThrows(() => parseResultsCsv(bad, "r.csv"), InputError).message,
    'r.csv:2: column pretrain_seed is "x"; expected a non-negative integer',
  );
});

Deno.test("results.csv: an optional design column is read, written, and part of a row's identity; fraction 0 is a reference", () => {
  const text = [HEADER + ",design", line() + ",tokens-dense", line() + ",", line({ fraction: 0 }) + ","].join("\n");
  const rows = parseResultsCsv(text, "r.csv");
  assertEquals(rows.map((r) => [r.design, r.fraction]), [["tokens-dense", base.fraction], [undefined, base.fraction], [
    undefined,
    0,
  ]]);
  assertEquals(parseResultsCsv(formatResultsCsv(rows), "r.csv"), rows);
  assertEquals(formatResultsCsv(rows).split("\n")[0], HEADER + ",design");
  const dup = [HEADER + ",design", line() + ",tokens-dense", line() + ",tokens-dense"].join("\n");
  assertStringIncludes(assertThrows(() => parseResultsCsv(dup, "r.csv"), InputError).message, "r.csv:3: duplicate");
});
