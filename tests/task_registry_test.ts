/**
 * The task registry (evals/tasks/): every built-in task file loads, the GLUE table is the one the code
 * held before it became data, bad task files give file:line, task specs stay inside their folder, and
 * error messages quote at most a short escaped excerpt of a bad line.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { dirname, join } from "node:path";
import { blimpTask, loadMinimalPairs, parseMinimalPairs } from "../data/blimp.ts";
import { GLUE_TASK_NAMES, glueTask, glueTasks } from "../data/glue.ts";
import { LAMBADA_PATH, LAMBADA_TASKS } from "../data/lambada.ts";
import {
  devSetsOf,
  loadExamples,
  loadTaskSpec,
  scoreKeys,
  selectByOf,
  splitLabel,
  splitSpec,
  type TaskSpec,
  validateTaskSpec,
} from "../data/task_spec.ts";
import { XNLI_LANGUAGES, XNLI_TRAIN_LANGUAGES, xnliPath, xnliSpec } from "../data/xnli.ts";
import { GLUE_AVERAGES } from "../evals/glue_score.ts";
import { loadRegistry, REGISTRY_DIR, taskRegistry } from "../evals/tasks/registry.ts";
import { excerpt, EXCERPT_CHARS, InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import { REPO_ROOT, SHARED_DATA_DIR } from "../util/paths.ts";

/** Writes `files` (relative path -> text) under a fresh temp folder and returns it. */
async function folderWith(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const [rel, content] of Object.entries(files)) {
    await Deno.mkdir(dirname(join(dir, rel)), { recursive: true });
    await Deno.writeTextFile(join(dir, rel), content);
  }
  return dir;
}

const json = (value: unknown) => JSON.stringify(value, null, 2) + "\n";

Deno.test("every built-in task file loads: nine GLUE tasks, XNLI, LAMBADA, BLiMP's 67 paradigms", () => {
  const registry = loadRegistry();
  assertEquals([...registry.groups.keys()], ["blimp", "glue", "lambada", "xnli"]);
  assertEquals(registry.groups.get("glue")!.tasks, [...GLUE_TASK_NAMES]);
  assertEquals(
    [...registry.tasks.values()].map((t) => [t.spec.name, t.kind, t.group]),
    [
      ["blimp", "minimal-pairs", "blimp"],
      ...["cola", "mnli", "mrpc", "qnli", "qqp", "rte", "sst2", "stsb", "wnli"].map((n) => [n, "finetune", "glue"]),
      ["lambada_openai", "last-word", "lambada"],
      ["xnli", "finetune", "xnli"],
    ],
  );
  for (const task of registry.tasks.values()) {
    assert(task.file.startsWith(REGISTRY_DIR), task.file);
    // Registry files are cache-relative: no absolute path, no "..".
    for (const file of Object.values(task.spec.splits)) assert(!file.startsWith("/") && !file.includes(".."), file);
    if (task.kind === "finetune") assertEquals(validateTaskSpec(JSON.parse(JSON.stringify(task.spec)), "x"), task.spec);
  }
  assertEquals(Object.keys(blimpTask().splits).length, 67);
  assertEquals(blimpTask().splits.adjunct_island, "blimp/adjunct_island.jsonl");
  assertEquals(LAMBADA_PATH, "lambada/lambada_test.jsonl");
  assertEquals(LAMBADA_TASKS, { ownHead: "lambada_openai", lmFineTuned: "lambada_openai_lmft" });
  assert(taskRegistry() === taskRegistry(), "the built-in registry is read once");
});

/** The GLUE table as data/glue.ts held it before the registry (MNLI as two specs, one per dev set). */
const OLD_GLUE: [string, Omit<TaskSpec, "name" | "format" | "splits">, string, string][] = (() => {
  const b = { type: "classes" as const, classes: ["0", "1"] };
  const e = { type: "classes" as const, classes: ["entailment", "not_entailment"] };
  const n3 = { type: "classes" as const, classes: ["entailment", "neutral", "contradiction"] };
  const pair = { header: true, textA: "sentence1", textB: "sentence2", label: "label", skipBrokenRows: false };
  return [
    ["CoLA", { header: false, columns: 4, textA: 3, label: 1, labels: b, metrics: ["mcc"], skipBrokenRows: false }],
    ["SST-2", {
      header: true,
      textA: "sentence",
      label: "label",
      labels: b,
      metrics: ["accuracy"],
      skipBrokenRows: false,
    }],
    ["MRPC", {
      header: true,
      textA: "#1 String",
      textB: "#2 String",
      label: "Quality",
      labels: b,
      metrics: ["accuracy", "f1"],
      skipBrokenRows: false,
    }],
    ["STS-B", {
      ...pair,
      label: "score",
      labels: { type: "regression", range: [0, 5] },
      metrics: ["pearson", "spearman"],
    }],
    ["QQP", {
      header: true,
      textA: "question1",
      textB: "question2",
      label: "is_duplicate",
      labels: b,
      metrics: ["accuracy", "f1"],
      skipBrokenRows: true,
    }],
    ["MNLI-m", { ...pair, label: "gold_label", labels: n3, metrics: ["accuracy"] }, "glue/MNLI/dev_matched.tsv"],
    ["MNLI-mm", { ...pair, label: "gold_label", labels: n3, metrics: ["accuracy"] }, "glue/MNLI/dev_mismatched.tsv"],
    ["QNLI", { ...pair, textA: "question", textB: "sentence", labels: e, metrics: ["accuracy"] }],
    ["RTE", { ...pair, labels: e, metrics: ["accuracy"] }],
    ["WNLI", { ...pair, labels: b, metrics: ["accuracy"] }],
  ].map(([title, reading, dev]) => {
    const folder = (title as string).replace(/-mm?$/, "");
    return [
      title as string,
      reading as OLD_GLUE_READING,
      `glue/${folder}/train.tsv`,
      (dev as string | undefined) ?? `glue/${folder}/dev.tsv`,
    ];
  });
})();
type OLD_GLUE_READING = Omit<TaskSpec, "name" | "format" | "splits">;

Deno.test("GLUE's registry table matches the table the code held before: files, columns, labels, metrics", () => {
  for (const [title, reading, train, dev] of OLD_GLUE) {
    const spec = glueTask(title.replace(/-mm?$/, ""));
    const devSplit = Object.entries(spec.splits).find(([, f]) => f === dev)?.[0];
    assert(devSplit, `${title}: no split holds ${dev}`);
    assertEquals(spec.splits.train, train, title);
    for (const split of ["train", devSplit]) {
      const { name: _n, title: _t, description: _d, splits: _s, format, ...rest } = splitSpec(spec, split);
      assertEquals(format, "tsv");
      assertEquals(rest, reading, `${title} ${split}`);
    }
  }
  // CoLA: no header, by column index; MNLI: one train file, two dev sets scored as matched and mismatched.
  assertEquals([glueTask("cola").header, glueTask("cola").columns, glueTask("cola").textA], [false, 4, 3]);
  assertEquals(devSetsOf(glueTask("mnli")), { matched: "dev_matched", mismatched: "dev_mismatched" });
  assertEquals(devSetsOf(glueTask("rte")), { validation: "dev" });
  // Splits are named for what their files are: MRPC's dev file is the labelled MSR test set.
  assertEquals([splitLabel(glueTask("mrpc"), "dev"), splitLabel(glueTask("rte"), "dev")], ["test (MSR)", "dev"]);
});

Deno.test("GLUE scoring as evals/glue_score.ts held it: best-epoch score, reported scores, the two averages", () => {
  const selectBy = Object.fromEntries(GLUE_TASK_NAMES.map((t) => [t, selectByOf(glueTask(t))]));
  assertEquals(selectBy, {
    cola: "mcc",
    sst2: "accuracy",
    mrpc: "accuracy",
    stsb: "spearman",
    qqp: "accuracy",
    mnli: "accuracy_pooled",
    qnli: "accuracy",
    rte: "accuracy", // RTE and WNLI: the default (first metric) as before; they are not in the paper's average
    wnli: "accuracy",
  });
  const reported = Object.fromEntries(GLUE_TASK_NAMES.map((t) => [t, scoreKeys(glueTask(t)).sort()]));
  assertEquals(reported.mrpc, ["accuracy", "f1"]);
  assertEquals(reported.stsb, ["pearson", "spearman"]);
  assertEquals(reported.mnli, ["accuracy_matched", "accuracy_mismatched"]);
  assertEquals(scoreKeys(glueTask("mnli"), true), ["accuracy_matched", "accuracy_mismatched", "accuracy_pooled"]);
  assertEquals(GLUE_AVERAGES.paper.tasks, ["mrpc", "cola", "stsb", "sst2", "qnli", "qqp", "mnli"]);
  assertEquals(GLUE_AVERAGES.paper.keys("mnli"), ["accuracy_pooled"]);
  assertEquals(GLUE_AVERAGES.leaderboard.tasks, ["cola", "sst2", "mrpc", "stsb", "qqp", "mnli", "qnli", "rte", "wnli"]);
  assertEquals(GLUE_AVERAGES.leaderboard.keys("qqp"), ["accuracy", "f1"]);
});

Deno.test("XNLI: one task file, {lang} files, translate-train overrides, the old per-split specs", () => {
  assertEquals(XNLI_LANGUAGES.length, 15);
  assertEquals(XNLI_TRAIN_LANGUAGES, ["ar", "de", "en", "es", "fr", "sw", "tr", "ur", "vi", "zh"]);
  assertEquals(xnliPath("de", "train"), "xnli/de/train.tsv");
  const { title: _t, description: _d, ...dev } = xnliSpec("de", "dev");
  assertEquals(dev, {
    name: "XNLI-de",
    format: "tsv",
    splits: { dev: "xnli/de/dev.tsv" },
    header: true,
    textA: "premise",
    textB: "hypothesis",
    label: "label",
    labels: { type: "classes", classes: ["0", "1", "2"] },
    metrics: ["accuracy"],
    skipBrokenRows: false,
  });
  const train = xnliSpec("de", "train");
  assertEquals([train.textB, train.labels], ["hypo", {
    type: "classes",
    classes: ["entailment", "neutral", "contradictory"],
  }]);
  assertThrows(() => xnliSpec("hi", "train"), InputError, 'no XNLI train file for "hi"');
});

/** The 1-based line of the first line of `text` holding `needle`. */
const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

Deno.test("a bad task file in a registry folder is an InputError with file:line and the key", async () => {
  const task = {
    name: "t",
    splits: { train: "t/train.tsv", dev: "t/dev.tsv" },
    header: true,
    textA: "s",
    label: "l",
    labels: { type: "classes", classes: ["0", "1"] },
    metrics: ["accuracy"],
  };
  const lastWord = { name: "t", kind: "last-word", format: "jsonl", splits: { test: "x" }, metrics: ["acc"] };
  const average = { group: "g", tasks: ["t"], averages: { a: { tasks: ["t"], scores: "mean" } } };
  // [files, the bad file, a text on the bad line (or the line number), message]
  const cases: [Record<string, string>, string, string | number, string][] = [
    [{ "g/t.json": json({ ...task, metrics: ["acc"] }) }, "g/t.json", '"metrics"', 'unknown metric "acc"'],
    [
      { "g/t.json": json({ ...task, splits: { train: "../t.tsv" } }) },
      "g/t.json",
      "../t.tsv",
      '"splits.train" is "../t.tsv"',
    ],
    [
      { "g/t.json": json({ ...task, devSets: { validation: "test" } }) },
      "g/t.json",
      '"validation"',
      '"devSets.validation"',
    ],
    [{ "g/t.json": json({ ...task, selectBy: "f1" }) }, "g/t.json", '"selectBy"', '"selectBy" must be one of'],
    [
      { "g/t.json": json({ ...task, splitLabels: { test: "test (MSR)" } }) },
      "g/t.json",
      '"test"',
      '"splitLabels.test": no split "test" in "splits"',
    ],
    [
      { "g/t.json": json({ ...task, splitLabels: { dev: "" } }) },
      "g/t.json",
      '"dev": ""',
      '"splitLabels.dev" must be a non-empty name',
    ],
    [{ "g/t.json": '{\n  "name": "t",\n  "splits": oops\n}\n' }, "g/t.json", "oops", "not valid JSON"],
    [{ "g/u.json": json(task) }, "g/u.json", '"name"', "the file is u.json; name the file after the task"],
    [{ "g/t.json": json(task), "h/t.json": json(task) }, "h/t.json", 1, 'task "t" is also defined in'],
    [{ "g/t.json": json({ ...task, kind: "generate" }) }, "g/t.json", '"kind"', '"kind" must be "finetune"'],
    [{ "g/t.json": json(lastWord) }, "g/t.json", 1, '"text" must be a non-empty string'],
    [
      { "g/t.json": json(task), "g/group.json": json({ group: "g", tasks: ["t", "u"] }) },
      "g/group.json",
      '"tasks"',
      "no file: u",
    ],
    [
      { "g/t.json": json(task), "g/group.json": json(average) },
      "g/group.json",
      '"mean"',
      '"averages.a.scores" must be',
    ],
  ];
  for (const [files, bad, at, message] of cases) {
    const dir = await folderWith(files);
    const line = typeof at === "number" ? at : lineOf(files[bad], at);
    assert(line > 0, `${bad}: ${at}`);
    const error = assertThrows(() => loadRegistry(dir), InputError, message);
    assertStringIncludes(error.message, `${join(dir, bad)}:${line}: `, message);
    assertEquals(error.message.split("\n").length, 1, "one line");
  }
});

Deno.test("a custom spec naming ../../../../etc/passwd or an absolute path is refused before anything is read", async () => {
  const dir = await folderWith({ "a/t.tsv": "s\tl\nx\t0\n", "outside.tsv": "s\tl\nfrom outside\t1\n" });
  const base = {
    name: "t",
    splits: { train: "t.tsv" },
    header: true,
    textA: "first",
    label: "l",
    labels: { type: "classes", classes: ["0", "1"] },
    metrics: ["accuracy"],
  };
  const specFile = join(dir, "a", "spec.json");
  for (const [path, what] of [["../../../../etc/passwd", 'a path with ".."'], ["/etc/passwd", "an absolute path"]]) {
    const text = json({ ...base, splits: { train: "t.tsv", dev: path } });
    await Deno.writeTextFile(specFile, text);
    const error = await assertRejects(() => loadTaskSpec(specFile), InputError, what);
    assertStringIncludes(error.message, `${specFile}:${lineOf(text, "passwd")}: task spec: "splits.dev" is`);
    assertStringIncludes(error.message, "--allow-outside");
    assert(!error.message.includes("root:"), error.message);
  }
  // Inside the folder: fine. With allowOutside, a file beside the folder loads too.
  await Deno.writeTextFile(specFile, json({ ...base, textA: "s", splits: { train: "t.tsv", dev: "../outside.tsv" } }));
  await assertRejects(() => loadTaskSpec(specFile), InputError, '"splits.dev" is "../outside.tsv"');
  const spec = await loadTaskSpec(specFile, { allowOutside: true });
  assertEquals((await loadExamples(spec, "dev", "/nonexistent-cache")).examples, [{ textA: "from outside", label: 1 }]);
  assertEquals((await loadExamples(spec, "train", "/nonexistent-cache")).examples, [{ textA: "x", label: 0 }]);
});

Deno.test("evaluate refuses a spec outside its folder in one line, exit 2, unless --allow-outside", async () => {
  const dir = await folderWith({});
  const spec = join(dir, "spec.json");
  await Deno.writeTextFile(
    spec,
    json({
      name: "t",
      splits: { train: "/etc/passwd", dev: "/etc/passwd" },
      header: true,
      textA: "first",
      label: "l",
      labels: { type: "classes", classes: ["0", "1"] },
      metrics: ["accuracy"],
    }),
  );
  const run = (extra: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(REPO_ROOT, "tasks", "evaluate.ts"),
        "--checkpoint",
        "/nonexistent/ckpt",
        "--tasks",
        spec,
        ...extra,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
  const refused = await run([]);
  const stderr = new TextDecoder().decode(refused.stderr).trim();
  assertEquals(refused.code, 2);
  assertEquals(stderr.split("\n").length, 1, stderr);
  assertStringIncludes(stderr, '"splits.train" is "/etc/passwd": an absolute path');
  // With the flag the spec is accepted and the run goes on to the (missing) checkpoint; the passwd text never shows.
  const allowed = await run(["--allow-outside"]);
  const said = new TextDecoder().decode(allowed.stderr);
  assertEquals(allowed.code, 2);
  assertStringIncludes(said, "/nonexistent/ckpt");
  assert(!said.includes("root:"), said);
});

Deno.test("error messages quote at most a short escaped excerpt of a bad line", async () => {
  assertEquals(excerpt('a\tb"c'), '"a\\tb\\"c"');
  const long = "root:x:0:0:root:/root:/bin/bash ".repeat(10);
  const cut = excerpt(long);
  assertEquals(cut, JSON.stringify(long.slice(0, EXCERPT_CHARS) + "…"));
  // A label that is a whole long line of text, and a header line that is not a header.
  const dir = await folderWith({
    "labels.tsv": `s\tl\nok\t${long}\n`,
    "noheader.tsv": `${long}\nx\n`,
  });
  const spec = (file: string, textA = "s") => ({
    name: "t",
    splits: { dev: file },
    header: true,
    textA,
    label: textA === "s" ? "l" : textA,
    labels: { type: "classes", classes: ["0", "1"] },
    metrics: ["accuracy"],
  });
  for (const [file, message] of [["labels.tsv", "labels.tsv:2: label"], ["noheader.tsv", 'no column "first"']]) {
    await Deno.writeTextFile(join(dir, "spec.json"), json(spec(file, file === "labels.tsv" ? "s" : "first")));
    const error = await assertRejects(
      async () => loadExamples(await loadTaskSpec(join(dir, "spec.json")), "dev", dir),
      InputError,
      message,
    );
    assertStringIncludes(error.message, cut);
    assert(!error.message.includes(long.slice(0, EXCERPT_CHARS + 1)), error.message);
  }
  // A bad value in the spec itself is cut the same way.
  await Deno.writeTextFile(join(dir, "spec.json"), json({ ...spec("labels.tsv"), format: long }));
  const error = await assertRejects(() => loadTaskSpec(join(dir, "spec.json")), InputError, '"format" must be');
  assertStringIncludes(error.message, cut);
});

Deno.test("BLiMP: the task describes the 67 paradigm files; the loader reads good/bad pairs and names bad lines", async () => {
  const task = blimpTask();
  assertEquals([task.good, task.bad, task.metrics], ["sentence_good", "sentence_bad", ["acc"]]);
  const pair =
    '{"sentence_good": "Who did Ann see?", "sentence_bad": "Who did Ann see Bob?", "UID": "x", "pairID": "0"}';
  assertEquals(parseMinimalPairs(pair + "\n", "x.jsonl", task), [{
    good: "Who did Ann see?",
    bad: "Who did Ann see Bob?",
  }]);
  assertThrows(
    () => parseMinimalPairs(pair + '\n{"sentence_good": "a"}\n', "x.jsonl", task),
    InputError,
    'x.jsonl:2: expected a string under "sentence_bad"',
  );
  const cache = await folderWith({ "blimp/causative.jsonl": pair + "\n" + pair + "\n" });
  assertEquals((await loadMinimalPairs(cache, "causative")).length, 2);
  await assertRejects(
    () => loadMinimalPairs(cache, "adjunct_island"),
    InputError,
    "blimp/adjunct_island.jsonl not in cache",
  );
  await assertRejects(() => loadMinimalPairs(cache, "no_such"), InputError, 'no paradigm "no_such"');
});

Deno.test({
  name: "BLiMP in ../shared/data: all 67 paradigms load, 1,000 pairs each (ignored without the mirror)",
  ignore: !(await exists(join(SHARED_DATA_DIR, "blimp"))),
  async fn() {
    for (const paradigm of Object.keys(blimpTask().splits)) {
      assertEquals((await loadMinimalPairs(SHARED_DATA_DIR, paradigm)).length, 1000, paradigm);
    }
    assertEquals((await loadMinimalPairs(SHARED_DATA_DIR, "adjunct_island"))[0], {
      good: "Who should Derek hug after shocking Richard?",
      bad: "Who should Derek hug Richard after shocking?",
    });
  },
});

Deno.test("the custom task example is a task file like the registry's: train, a dev set, the default best-epoch score", async () => {
  const spec = await loadTaskSpec(join(REPO_ROOT, "examples", "custom_task", "spec.json"));
  assertEquals(devSetsOf(spec), { dev: "dev" });
  assertEquals(selectByOf(spec), "accuracy");
  assertEquals(glueTasks().length, 9);
});
