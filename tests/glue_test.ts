import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { dirname, join, resolve } from "node:path";
import { GLUE_TASK_NAMES, glueTask, glueTasks } from "../data/glue.ts";
import { devSetsOf, loadExamples, loadTaskSpec, type TaskSpec, validateTaskSpec } from "../data/task_spec.ts";
import { loadXnli, xnliSpec } from "../data/xnli.ts";
import { defaultCacheDir, missingFromCache, resolveCacheDir } from "../data/cache.ts";
import { sourceOutputs, SOURCES } from "../data/sources.ts";
import { InputError } from "../util/errors.ts";
import { cacheHome } from "../util/paths.ts";

/** Writes `files` (cache-relative path -> text) into a fresh temp cache and returns its path. */
async function cacheWith(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const [rel, content] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(dir, rel)), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(join(dir, rel), content);
    else await Deno.writeFile(join(dir, rel), content);
  }
  return dir;
}

Deno.test("the GLUE table: nine tasks, MNLI matched and mismatched, the paper's metrics", () => {
  assertEquals(GLUE_TASK_NAMES, ["cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte", "wnli"]);
  assertEquals(glueTasks().map((t) => t.title), [
    "CoLA",
    "SST-2",
    "MRPC",
    "STS-B",
    "QQP",
    "MNLI",
    "QNLI",
    "RTE",
    "WNLI",
  ]);
  const metrics = Object.fromEntries(glueTasks().map((t) => [t.title, t.metrics]));
  assertEquals(metrics.CoLA, ["mcc"]);
  assertEquals(metrics["STS-B"], ["pearson", "spearman"]);
  assertEquals(metrics.MRPC, ["accuracy", "f1"]);
  assertEquals(metrics.QQP, ["accuracy", "f1"]);
  assertEquals(glueTasks().filter((t) => t.skipBrokenRows).map((t) => t.title), ["QQP"]);
  // MNLI: one task, one train file, two dev sets (matched and mismatched).
  assertEquals(glueTask("mnli").splits, {
    train: "glue/MNLI/train.tsv",
    dev_matched: "glue/MNLI/dev_matched.tsv",
    dev_mismatched: "glue/MNLI/dev_mismatched.tsv",
  });
  assertEquals(devSetsOf(glueTask("mnli")), { matched: "dev_matched", mismatched: "dev_mismatched" });
  assertEquals(glueTask("SST-2").name, "sst2");
  assertThrows(() => glueTask("SQuAD"), InputError, "unknown GLUE task");
});

Deno.test("every GLUE spec is a valid JSON spec: a custom task is the same data", () => {
  for (const spec of glueTasks()) {
    assertEquals(validateTaskSpec(JSON.parse(JSON.stringify(spec)), `${spec.name}.json`), spec);
  }
});

Deno.test("every GLUE file is provided by some download source", () => {
  const provided = new Set(SOURCES.flatMap(sourceOutputs));
  for (const spec of glueTasks()) {
    for (const file of Object.values(spec.splits)) assertEquals(provided.has(file), true, `${spec.name}: ${file}`);
  }
});

Deno.test("GLUE formats: CoLA by index, MRPC with BOM and CRLF, STS-B scores, QNLI strings", async () => {
  const cache = await cacheWith({
    "glue/CoLA/dev.tsv":
      "gj04\t1\t\tThe sailors rode the breeze clear of the rocks.\ngj04\t0\t*\tThe more we study verbs, the crazier they get get.",
    "glue/MRPC/train.tsv": "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String\r\n" +
      '1\t702876\t702977\tAmrozi accused his brother, whom he called "the witness".\tReferring to him as "the witness".\r\n' +
      "0\t2108705\t2108831\tYucaipa owned Dominick's.\tYucaipa bought Dominick's.\r\n",
    "glue/STS-B/dev.tsv": "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n" +
      "0\tmain-captions\tMSRvid\t2012test\t0000\tnone\tnone\tA man with a hard hat is dancing.\tA man wearing a hard hat is dancing.\t5.000\n" +
      "1\tmain-captions\tMSRvid\t2012test\t0002\tnone\tnone\tA cat.\tA dog.\t0.250\n",
    "glue/QNLI/dev.tsv":
      "index\tquestion\tsentence\tlabel\n0\tWhat came?\tIt came.\tentailment\n1\tWho?\tNo one.\tnot_entailment\n",
  });
  const cola = await loadExamples(glueTask("CoLA"), "dev", cache);
  assertEquals(cola, {
    examples: [
      { textA: "The sailors rode the breeze clear of the rocks.", label: 1 },
      { textA: "The more we study verbs, the crazier they get get.", label: 0 },
    ],
    skipped: 0,
  });
  const mrpc = await loadExamples(glueTask("MRPC"), "train", cache);
  assertEquals(mrpc.examples[0], {
    textA: 'Amrozi accused his brother, whom he called "the witness".',
    textB: 'Referring to him as "the witness".',
    label: 1,
  });
  assertEquals(mrpc.examples[1].label, 0);
  const stsb = await loadExamples(glueTask("STS-B"), "dev", cache);
  assertEquals(stsb.examples.map((e) => e.label), [5, 0.25]);
  assertEquals(stsb.examples[1].textB, "A dog.");
  const qnli = await loadExamples(glueTask("QNLI"), "dev", cache);
  assertEquals(qnli.examples.map((e) => [e.textA, e.label]), [["What came?", 0], ["Who?", 1]]);
});

Deno.test("QQP's broken rows are skipped and counted; MNLI reads gold_label from the wide official files", async () => {
  const mnliHeader =
    "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\t" +
    "sentence2_parse\tsentence1\tsentence2\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label\n";
  const cache = await cacheWith({
    "glue/QQP/train.tsv": "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\n" +
      "1\t1\t2\tHow?\tHow so?\t1\n" +
      "2\t3\t4\tIs it?\tWhich level is enough? 0\n" + // the label glued onto the question: 5 columns
      "3\t5\t6\tWhy?\tWhy not?\t0\n",
    "glue/MNLI/dev_mismatched.tsv": mnliHeader +
      "0\t1\t1n\tletters\t(x)\t(y)\t(X)\t(Y)\tYour gift is appreciated.\tHundreds of students will benefit.\tneutral\tneutral\tneutral\tneutral\tneutral\tneutral\n" +
      "1\t2\t2c\tletters\t(x)\t(y)\t(X)\t(Y)\tIt is.\tIt is not.\tcontradiction\tcontradiction\tneutral\tcontradiction\tcontradiction\tcontradiction\n",
  });
  const qqp = await loadExamples(glueTask("QQP"), "train", cache);
  assertEquals(qqp.skipped, 1);
  assertEquals(qqp.examples.map((e) => [e.textA, e.label]), [["How?", 1], ["Why?", 0]]);
  const mnli = await loadExamples(glueTask("MNLI"), "dev_mismatched", cache);
  assertEquals(mnli.examples.map((e) => e.label), [1, 2]);
  assertEquals(mnli.examples[0].textB, "Hundreds of students will benefit.");
  // Without skipBrokenRows the same file is an error at the broken line.
  const strict = { ...glueTask("QQP"), skipBrokenRows: false };
  await assertRejects(
    () => loadExamples(strict, "train", cache),
    InputError,
    "train.tsv:3: 5 tab-separated columns, expected 6",
  );
});

Deno.test("a label outside the spec names file and line", async () => {
  const cache = await cacheWith({
    "glue/RTE/dev.tsv": "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tentailment\n1\ta\tb\tneutral\n",
    "glue/STS-B/train.tsv": "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n" +
      "0\tg\tf\ty\to\ts\ts\ta\tb\t5.5\n",
    "glue/SST-2/dev.tsv": "sentence\tlabel\ngood\t1\nbad\t\n",
  });
  await assertRejects(
    () => loadExamples(glueTask("RTE"), "dev", cache),
    InputError,
    `${join(cache, "glue/RTE/dev.tsv")}:3: label "neutral" is not one of entailment, not_entailment`,
  );
  await assertRejects(
    () => loadExamples(glueTask("STS-B"), "train", cache),
    InputError,
    'train.tsv:2: label "5.5" is not a number in [0, 5]',
  );
  await assertRejects(
    () => loadExamples(glueTask("SST-2"), "dev", cache),
    InputError,
    'dev.tsv:3: label "" is not one of 0, 1',
  );
});

Deno.test("a file missing from the cache says how to get it", async () => {
  const cache = await cacheWith({});
  await assertRejects(
    () => loadExamples(glueTask("RTE"), "dev", cache),
    InputError,
    `glue/RTE/dev.tsv not in cache ${cache}: run \`deno task data\` or pass --cache-dir`,
  );
  await assertRejects(
    () => loadExamples(glueTask("RTE"), "test", cache),
    InputError,
    'task RTE has no split "test" (splits: train, dev)',
  );
  assertEquals(await missingFromCache(cache, ["glue/RTE/dev.tsv"]), ["glue/RTE/dev.tsv"]);
});

Deno.test("cache folder: --cache-dir beats $HEADLESS_BENCH_DATA beats the default", () => {
  assertEquals(resolveCacheDir("/tmp/flag", "/tmp/env"), "/tmp/flag");
  assertEquals(resolveCacheDir(undefined, "/tmp/env"), "/tmp/env");
  assertEquals(resolveCacheDir("", ""), join(cacheHome(), "data"));
  assertEquals(resolveCacheDir(undefined, ""), defaultCacheDir());
  assertEquals(resolveCacheDir("rel/dir", undefined), resolve("rel/dir"));
});

Deno.test("a custom task from a JSON spec plus a TSV or a JSONL file", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "reviews.tsv"), "text\tstars\nGreat.\tpos\nAwful.\tneg\nMeh.\tmid\n");
  await Deno.writeTextFile(
    join(dir, "reviews.json"),
    JSON.stringify({
      name: "reviews",
      splits: { train: "reviews.tsv" },
      header: true,
      textA: "text",
      label: "stars",
      labels: { type: "classes", classes: ["neg", "mid", "pos"] },
      metrics: ["accuracy"],
    }),
  );
  const spec = await loadTaskSpec(join(dir, "reviews.json"));
  assertEquals(spec.splits.train, join(dir, "reviews.tsv")); // relative to the spec file
  const other = await Deno.makeTempDir(); // the cache folder plays no part for absolute files
  assertEquals((await loadExamples(spec, "train", other)).examples.map((e) => e.label), [2, 0, 1]);

  await Deno.writeTextFile(
    join(dir, "sim.jsonl"),
    '{"a": "x", "b": "y", "score": 0.5}\n{"a": "p", "b": "q", "score": "1"}\n',
  );
  await Deno.writeTextFile(
    join(dir, "sim.json"),
    JSON.stringify({
      name: "sim",
      format: "jsonl",
      splits: { dev: "sim.jsonl" },
      textA: "a",
      textB: "b",
      label: "score",
      labels: { type: "regression", range: [0, 1] },
      metrics: ["pearson", "spearman"],
    }),
  );
  const sim = await loadExamples(await loadTaskSpec(join(dir, "sim.json")), "dev", other);
  assertEquals(sim.examples, [{ textA: "x", textB: "y", label: 0.5 }, { textA: "p", textB: "q", label: 1 }]);

  await Deno.writeTextFile(join(dir, "sim.jsonl"), '{"a": "x", "b": "y", "score": 0.5}\n{"a": "p", "score": 1}\n');
  await assertRejects(
    async () => loadExamples(await loadTaskSpec(join(dir, "sim.json")), "dev", other),
    InputError,
    'sim.jsonl:2: expected text B as a string under "b"',
  );
});

Deno.test("a bad spec file is an InputError naming it and the key", async () => {
  const dir = await Deno.makeTempDir();
  const base: Record<string, unknown> = {
    name: "t",
    splits: { train: "t.tsv" },
    header: true,
    textA: "s",
    label: "l",
    labels: { type: "classes", classes: ["0", "1"] },
    metrics: ["accuracy"],
  };
  const cases: [Record<string, unknown>, string][] = [
    [{ ...base, textC: "x" }, 'unknown key "textC"'],
    [
      { ...base, labels: { type: "ordinal", classes: ["0", "1"] } },
      '"labels.type" must be "classes" or "regression", got "ordinal"',
    ],
    [{ ...base, labels: { type: "regression", range: [5, 0] } }, '"labels.range" must be [low, high] with low < high'],
    [{ ...base, labels: { type: "classes", classes: ["0"] } }, '"labels.classes" must list at least two label strings'],
    [{ ...base, metrics: ["acc"] }, 'unknown metric "acc"'],
    [{ ...base, header: false }, '"columns" is required without a header'],
    [{ ...base, header: false, columns: 2 }, '"textA" must be a column index in [0, 2)'],
    [{ ...base, format: "csv" }, '"format" must be "tsv" or "jsonl"'],
  ];
  for (const [value, message] of cases) {
    const file = join(dir, "spec.json");
    await Deno.writeTextFile(file, JSON.stringify(value));
    await assertRejects(() => loadTaskSpec(file), InputError, `${file}:1: task spec: ${message}`);
  }
  await Deno.writeTextFile(join(dir, "broken.json"), "{ name: ");
  await assertRejects(
    () => loadTaskSpec(join(dir, "broken.json")),
    InputError,
    "broken.json:1: task spec is not valid JSON",
  );
});

Deno.test("XNLI dev/test and train files load into labels 0 entailment / 1 neutral / 2 contradiction", async () => {
  const cache = await cacheWith({
    "xnli/de/dev.tsv": "id\tpremise\thypothesis\tlabel\n0\tEr sagte.\tEr schwieg.\t2\n1\tJa.\tJa doch.\t0\n",
    "xnli/de/train.tsv": "premise\thypo\tlabel\nA .\tB .\tneutral\nC .\tD .\tcontradictory\nE .\tF .\tentailment\n",
  });
  assertEquals((await loadXnli("de", "dev", cache)).examples, [
    { textA: "Er sagte.", textB: "Er schwieg.", label: 2 },
    { textA: "Ja.", textB: "Ja doch.", label: 0 },
  ]);
  assertEquals((await loadXnli("de", "train", cache)).examples.map((e) => e.label), [1, 2, 0]);
  await assertRejects(() => loadXnli("de", "test", cache), InputError, "xnli/de/test.tsv not in cache");
  assertThrows(() => xnliSpec("bg", "train"), InputError, 'no XNLI train file for "bg"');
  assertThrows(() => xnliSpec("ja", "dev"), InputError, 'unknown XNLI language "ja"');
});

Deno.test("glueTask returns a copy: callers cannot change the table", () => {
  const spec: TaskSpec = glueTask("RTE");
  spec.splits.dev = "elsewhere.tsv";
  assertEquals(glueTask("RTE").splits.dev, "glue/RTE/dev.tsv");
});
