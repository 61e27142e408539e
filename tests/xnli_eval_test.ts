/**
 * XNLI (evals/xnli.ts, reports/xnli_table.ts, tasks/xnli.ts): both setups on a tiny encoder and
 * XNLI-shaped fixture files (rows, best-epoch rule, the language without a train file), the per-seed
 * averages and the Table 5 rendering on hand-made rows, and the report section.
 */
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
  finetuneOnEnglish,
  finetunePerLanguage,
  loadXnliData,
  missingTrainNote,
  parseXnliLanguages,
  parseXnliTask,
  xnliTaskName,
} from "../evals/xnli.ts";
import { initBackend } from "../backends/mod.ts";
import { loadModelConfig, type ModelConfig } from "../models/config.ts";
import { createModel, type Model } from "../models/transformer.ts";
import { buildReport } from "../reports/build_report.ts";
import { formatResultsCsv, type ResultRow } from "../results/rows.ts";
import { summarize } from "../reports/summary.ts";
import { hasXnliRows, withXnliAverages, xnliTable5 } from "../reports/xnli_table.ts";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";
import { REPO_ROOT, SHARED_DATA_DIR } from "../util/paths.ts";
import { Rng } from "../util/rng.ts";
import { row as resultRow } from "./fixtures/result_rows.ts";

await initBackend("wasm");

const ENCODER: ModelConfig = loadModelConfig("tiny", { name: "tiny-enc", arch: "encoder", tieHead: true });

/** Texts are space-separated token ids. */
const ids = { encode: (text: string) => text.split(" ").filter(Boolean).map(Number) };

const TRAIN_LABELS = ["entailment", "neutral", "contradictory"];

/** Pairs whose hypothesis holds marker token 5 + label somewhere among random ids 10..47. */
function pairs(n: number, rng: Rng): { premise: string; hypothesis: string; label: number }[] {
  return Array.from({ length: n }, () => {
    const label = rng.int(3);
    const premise = Array.from({ length: 2 + rng.int(4) }, () => 10 + rng.int(38)).join(" ");
    const hyp = Array.from({ length: 2 + rng.int(4) }, () => 10 + rng.int(38));
    hyp[rng.int(hyp.length)] = 5 + label;
    return { premise, hypothesis: hyp.join(" "), label };
  });
}

/**
 * A data cache in XNLI's layout: en and de with train and dev files (the train files in XNLI-MT's
 * format), hi with a dev file only, as in the real cache; de also has a test file.
 */
async function fixtureCache(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "xnli_fixture_" });
  const rng = new Rng(7);
  for (const lang of ["en", "de", "hi"]) {
    await Deno.mkdir(join(dir, "xnli", lang), { recursive: true });
    const dev = pairs(60, rng).map((p, i) => `${i}\t${p.premise}\t${p.hypothesis}\t${p.label}`);
    await Deno.writeTextFile(join(dir, "xnli", lang, "dev.tsv"), `id\tpremise\thypothesis\tlabel\n${dev.join("\n")}\n`);
    if (lang === "de") {
      const test = pairs(40, rng).map((p, i) => `${i}\t${p.premise}\t${p.hypothesis}\t${p.label}`);
      await Deno.writeTextFile(
        join(dir, "xnli", lang, "test.tsv"),
        `id\tpremise\thypothesis\tlabel\n${test.join("\n")}\n`,
      );
    }
    if (lang === "hi") continue;
    const train = pairs(240, rng).map((p) => `${p.premise}\t${p.hypothesis}\t${TRAIN_LABELS[p.label]}`);
    await Deno.writeTextFile(join(dir, "xnli", lang, "train.tsv"), `premise\thypo\tlabel\n${train.join("\n")}\n`);
  }
  return dir;
}

const OPTIONS = { loss: "balanced" as const, lr: 3e-3, batch: 16, epochs: 4, seed: 0 };

Deno.test("task names and language lists: round trip, paper and all, bad names are InputErrors", () => {
  assertEquals(xnliTaskName("en", "de", "dev"), "xnli-en/de");
  assertEquals(xnliTaskName("target", "avg", "test"), "xnli-target/avg/test");
  assertEquals(parseXnliTask("xnli-target/avg/test"), { setup: "target", lang: "avg", split: "test" });
  assertEquals(parseXnliTask("xnli-en/de"), { setup: "en", lang: "de", split: "dev" });
  assertEquals(parseXnliTask("mnli"), undefined);
  assertEquals(parseXnliLanguages("paper"), ["ar", "de", "en", "es", "fr", "hi", "zh"]);
  assertEquals(parseXnliLanguages("de, en,de"), ["de", "en"]);
  assertEquals(parseXnliLanguages("all").length, 15);
  assertThrows(() => parseXnliLanguages("de,xx"), InputError, `unknown XNLI language "xx"`);
  assertThrows(() => parseXnliLanguages(" , "), InputError, "no XNLI language");
});

Deno.test("loading: en setup adds English for the best epoch; target setup reports hi as having no train file", async () => {
  const cache = await fixtureCache();
  try {
    const en = await loadXnliData("en", ["de", "hi"], "dev", cache);
    assertEquals(Object.keys(en.eval), ["en", "de", "hi"]);
    assertEquals(Object.keys(en.train), ["en"]);
    assertEquals([en.train.en.length, en.eval.hi.length, en.missingTrain], [240, 60, []]);
    const target = await loadXnliData("target", ["en", "de", "hi"], "dev", cache, { maxEval: 25 });
    assertEquals([Object.keys(target.train), Object.keys(target.eval), target.missingTrain], [["en", "de"], [
      "en",
      "de",
    ], ["hi"]]);
    assertEquals([target.eval.de.length, target.evalAvailable.de], [25, 60]);
    // The train file's label strings and the dev file's 0/1/2 load into the same class indices.
    const firstTrain = (await Deno.readTextFile(join(cache, "xnli/en/train.tsv"))).split("\n")[1].split("\t");
    assertEquals(target.train.en[0].label, TRAIN_LABELS.indexOf(firstTrain[2]));
    assertEquals(missingTrainNote(["hi"]).startsWith("no translate-train file for hi"), true);
    assertEquals(missingTrainNote([]), "every requested language has a translate-train file");
    // A test split the cache lacks names the file and how to fetch it.
    await assertRejects(() => loadXnliData("en", ["de"], "test", cache), InputError, "xnli/en/test.tsv not in cache");
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test({
  name: "real data (../shared/data): the paper's seven languages; hi is the one without a translate-train file",
  ignore: !(await exists(SHARED_DATA_DIR)),
  fn: async () => {
    const target = await loadXnliData("target", parseXnliLanguages("paper"), "dev", SHARED_DATA_DIR, { maxEval: 100 });
    assertEquals(target.missingTrain, ["hi"]);
    assertEquals(Object.keys(target.train), ["ar", "de", "en", "es", "fr", "zh"]);
    for (const lang of Object.keys(target.train)) {
      assertEquals([target.train[lang].length, target.evalAvailable[lang], target.eval[lang].length], [
        15001,
        2490,
        100,
      ]);
    }
    // Dev sets hold 830 examples of each class.
    const counts = [0, 0, 0];
    for (const ex of (await loadXnliData("en", ["hi"], "dev", SHARED_DATA_DIR)).eval.hi) counts[ex.label]++;
    assertEquals(counts, [830, 830, 830]);
  },
});

Deno.test("en setup: one fine-tune on English, every language scored each epoch, best epoch chosen on English", async () => {
  const cache = await fixtureCache();
  try {
    const data = await loadXnliData("en", ["de", "hi"], "dev", cache);
    const model = createModel(ENCODER, 0);
    const r = finetuneOnEnglish(model, ids, data, OPTIONS);
    model.dispose();
    assertEquals(r.runs.length, 1);
    const { result } = r.runs[0];
    assertEquals(r.scores.map((s) => `${s.task} ${s.policy}`), [
      "xnli-en/en best-epoch",
      "xnli-en/en last-epoch",
      "xnli-en/de best-epoch",
      "xnli-en/de last-epoch",
      "xnli-en/hi best-epoch",
      "xnli-en/hi last-epoch",
    ]);
    const en = result.epochs.map((e) => e.scores.accuracy_en);
    const bestEpoch = en.indexOf(Math.max(...en)) + 1;
    for (const s of r.scores) {
      const epoch = s.policy === "best-epoch" ? bestEpoch : 4;
      assertEquals(s.epoch, epoch);
      assertEquals(s.value, result.epochs[epoch - 1].scores[`accuracy_${s.lang}`]);
      assertEquals([s.trainLang, s.trainExamples, s.evalExamples, s.steps], ["en", 240, 60, 4 * 15]);
    }
    // The markers mean the same in every fixture language, so what English taught carries over: well above
    // chance (1/3; 60 examples each, so 0.5 is ~2.8 standard errors above it) in all three.
    const best = Object.fromEntries(r.scores.filter((s) => s.policy === "best-epoch").map((s) => [s.lang, s.value]));
    assert(
      best.en >= 0.5 && best.de >= 0.5 && best.hi >= 0.5,
      `best-epoch accuracies ${JSON.stringify(best)}, expected >= 0.5 (chance 1/3)`,
    );
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("target setup: a fresh model per language with a train file, each scored on its own language only", async () => {
  const cache = await fixtureCache();
  try {
    const data = await loadXnliData("target", ["de", "en", "hi"], "dev", cache);
    const made: Model[] = [];
    const seen: string[] = [];
    const r = finetunePerLanguage(
      () => {
        const m = createModel(ENCODER, 0);
        made.push(m);
        return m;
      },
      ids,
      data,
      { ...OPTIONS, epochs: 2, seed: 3 },
      (lang) => seen.push(lang),
    );
    assertEquals([made.length, seen, r.missingTrain, r.seed], [2, ["de", "en"], ["hi"], 3]);
    assertEquals(r.scores.map((s) => `${s.task} ${s.trainLang}`), [
      "xnli-target/de de",
      "xnli-target/de de",
      "xnli-target/en en",
      "xnli-target/en en",
    ]);
    for (const { trainLang, result } of r.runs) {
      const acc = result.epochs.map((e) => e.scores.accuracy);
      const best = r.scores.find((s) => s.lang === trainLang && s.policy === "best-epoch")!;
      assertEquals([best.value, best.epoch], [Math.max(...acc), acc.indexOf(Math.max(...acc)) + 1]);
    }
    // Every model was disposed after its language: using one again fails.
    assertThrows(() => made[0].params.values().next().value!.dataSync());
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("test split: scored on test, the best epoch picked on the fine-tuning language's dev set", async () => {
  const cache = await fixtureCache();
  try {
    const data = await loadXnliData("target", ["de"], "test", cache);
    assertEquals([data.eval.de.length, data.selection?.de.length], [40, 60]);
    const r = finetunePerLanguage(() => createModel(ENCODER, 0), ids, data, { ...OPTIONS, epochs: 3 });
    const { result } = r.runs[0];
    assertEquals(result.selectBy, "accuracy_de_dev_select");
    const onDev = result.epochs.map((e) => e.scores.accuracy_de_dev_select);
    const best = r.scores.find((s) => s.policy === "best-epoch")!;
    assertEquals([best.task, best.epoch, best.evalExamples], [
      "xnli-target/de/test",
      onDev.indexOf(Math.max(...onDev)) + 1,
      40,
    ]);
    assertEquals(best.value, result.epochs[best.epoch - 1].scores.accuracy_de);
    assertEquals(r.scores.map((s) => s.lang), ["de", "de"], "the selection set gets no rows");
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

const LANGS = ["ar", "de", "en", "es", "fr", "hi", "zh"];
const row = (r: Partial<ResultRow>): ResultRow =>
  resultRow({ task: "xnli", setup: "en", lang: "en", examples: 100, ...r });

/** Rows of one setup, objective, seed and fraction: language i scores base + i/100. */
function setupRows(
  setup: "en" | "target",
  objective: string,
  seed: number,
  fraction: number,
  base: number,
): ResultRow[] {
  return LANGS.filter((l) => setup === "en" || l !== "hi").map((lang) =>
    row({
      objective,
      seed,
      fraction,
      flops: 8e12 * fraction,
      setup,
      lang,
      value: base + LANGS.indexOf(lang) / 100,
    })
  );
}

Deno.test("averages: per seed over the seven languages (en) and the six with a train file (target); incomplete gives none", () => {
  const rows = [
    ...setupRows("en", "softmax", 0, 1, 0.50), // 0.50 .. 0.56: mean 0.53
    ...setupRows("target", "softmax", 0, 1, 0.60), // ar de en es fr zh: 0.60 .01 .02 .03 .04 .06: mean 0.61
    ...setupRows("en", "softmax", 1, 1, 0.40).filter((r) => r.lang !== "zh"), // zh missing: no average
    row({ lang: "de", split: "test", value: 0.9 }), // another split, alone: no average
  ];
  const all = withXnliAverages(rows);
  const derived = all.slice(rows.length);
  assertEquals(derived.map((r) => [r.task, r.setup, r.lang, r.seed, r.examples]), [
    ["xnli", "en", "avg", 0, 700],
    ["xnli", "target", "avg", 0, 600],
  ]);
  assertAlmostEquals(derived[0].value, 0.53, 1e-12);
  assertAlmostEquals(derived[1].value, (0.60 + 0.61 + 0.62 + 0.63 + 0.64 + 0.66) / 6, 1e-12);
  assertEquals(withXnliAverages(all).length, all.length, "averages already present are not derived again");
  assertEquals([hasXnliRows(rows), hasXnliRows([row({ task: "rte" })])], [true, false]);
});

Deno.test("Table 5: ours at the final fraction, mean ± std over seeds, no-train-file cells, paper rows and averages", () => {
  const rows = withXnliAverages([
    ...setupRows("en", "softmax", 0, 1, 0.50),
    ...setupRows("en", "softmax", 1, 1, 0.52),
    ...setupRows("en", "cwt", 0, 0.5, 0.30), // not the final fraction: not shown
    ...setupRows("en", "cwt", 0, 1, 0.55),
    ...setupRows("target", "cwt", 0, 1, 0.60),
  ]);
  const [table, ...others] = xnliTable5(summarize(rows));
  assertEquals(others.length, 0);
  assertEquals(table.title, "Table 5 shape: XNLI dev accuracy, encoder, best-epoch");
  assertEquals(table.columns, ["setup", "model", "fraction", "seeds", ...LANGS, "avg"]);
  // ar: 0.50 and 0.52 → 51.00 ± 1.41 (sample std √0.0002 = 0.014142); avg 0.53 and 0.55 → 54.00 ± 1.41.
  assertEquals(table.rows[0], [
    "fine-tune on English",
    "vanilla (softmax head)",
    "100%",
    "0/0,0/1",
    "51.00 ± 1.41",
    "52.00 ± 1.41",
    "53.00 ± 1.41",
    "54.00 ± 1.41",
    "55.00 ± 1.41",
    "56.00 ± 1.41",
    "57.00 ± 1.41",
    "54.00 ± 1.41",
  ]);
  assertEquals(table.rows[1], [
    "fine-tune on English",
    "headless (CWT)",
    "100%",
    "0/0",
    "55.00",
    "56.00",
    "57.00",
    "58.00",
    "59.00",
    "60.00",
    "61.00",
    "58.00",
  ]);
  assertEquals(table.rows[2], [
    "fine-tune on English",
    "paper: vanilla",
    "published",
    "—",
    "46.83",
    "56.71",
    "71.66",
    "59.93",
    "58.34",
    "43.16",
    "50.99",
    "55.37",
  ]);
  assertEquals(table.rows[3].at(-1), "57.36");
  // Target setup: softmax not measured (— everywhere), CWT over six languages, hi has no train file.
  assertEquals(table.rows[4], [
    "fine-tune on target language",
    "vanilla (softmax head)",
    "—",
    "—",
    "—",
    "—",
    "—",
    "—",
    "—",
    "no train file",
    "—",
    "—",
  ]);
  assertEquals(table.rows[5].slice(4), [
    "60.00",
    "61.00",
    "62.00",
    "63.00",
    "64.00",
    "no train file",
    "66.00",
    "62.67",
  ]);
  // Paper target avg over ar de en es fr zh: (51.32 + 64.09 + 70.40 + 66.98 + 65.88 + 64.63) / 6 = 63.883.
  assertEquals(table.rows[6].at(-1), "63.88 (7 langs: 62.87)");
  assertEquals(table.rows[7].at(-1), "66.46 (7 langs: 65.54)");
  assertEquals(table.rows.length, 8);
});

Deno.test("Table 5 with no XNLI rows: an empty encoder table beside the paper's numbers", () => {
  const [table] = xnliTable5(summarize([row({ task: "rte" })]));
  assertEquals(table.rows.length, 8);
  assertEquals(table.rows[0].slice(2), Array(10).fill("—"));
  assertEquals(table.rows[4][9], "no train file");
});

Deno.test("buildReport: an XNLI section with Table 5 and an XNLI line in the Findings only when XNLI rows exist", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xnli_report_" });
  try {
    const xnli = [
      ...setupRows("en", "softmax", 0, 1, 0.50),
      ...setupRows("en", "cwt", 0, 0.5, 0.55),
      ...setupRows("en", "majority", 0, 0, 0.33).map((r) => ({ ...r, flops: 0, policy: "" })),
    ];
    await Deno.writeTextFile(join(dir, "xnli.csv"), formatResultsCsv(xnli));
    await Deno.writeTextFile(join(dir, "rte.csv"), formatResultsCsv([row({ task: "rte", setup: "", lang: "" })]));
    await buildReport({ results: join(dir, "xnli.csv"), out: join(dir, "with"), generatedAt: "t", resamples: 100 });
    const md = await Deno.readTextFile(join(dir, "with", "report.md"));
    assertStringIncludes(md, "## XNLI\n");
    assertStringIncludes(md, "**Table 5 shape: XNLI dev accuracy, encoder, best-epoch**");
    assertStringIncludes(md, "| fine-tune on English | reference: majority class | 0% | 0/0 | 33.00 |");
    // One seed, no examples: a difference with no interval; both clear the majority class (33.00 .. 39.00).
    assertStringIncludes(
      md,
      "| default | encoder enc-small | cwt − softmax: XNLI fine-tuned on English, dev, avg of ar de en es fr hi zh, " +
        "best-epoch | +5.00 (no interval) | undetermined | majority class 36.00: both clear it | one checkpoint |",
    );
    const summaryCsv = await Deno.readTextFile(join(dir, "with", "summary.csv"));
    assertStringIncludes(summaryCsv, "encoder,enc-small,softmax,,1,xnli,en,avg,dev,accuracy,best-epoch,1,0.53");
    await buildReport({ results: join(dir, "rte.csv"), out: join(dir, "without"), generatedAt: "t" });
    const without = await Deno.readTextFile(join(dir, "without", "report.md"));
    assertEquals([without.includes("## XNLI"), without.includes("Table 5")], [false, false]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tasks/xnli.ts: bad flags are one-line errors (exit 2) naming what was expected", async () => {
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(REPO_ROOT, "tasks/xnli.ts"), ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
  };
  const setup = await run("--checkpoint", "x", "--setup", "sideways");
  assertEquals(setup.code, 2);
  assertStringIncludes(setup.stderr, "--setup expects en, target or both");
  const langs = await run("--checkpoint", "x", "--languages", "en,klingon");
  assertStringIncludes(langs.stderr, `unknown XNLI language "klingon"`);
  const missing = await run("--checkpoint", join(REPO_ROOT, "no-such-checkpoint"));
  assertEquals(missing.code, 2);
  assertStringIncludes(missing.stderr, "not a checkpoint");
});
