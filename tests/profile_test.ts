/** Profiles: the shipped ones validate and plan; bad ones fail with the file, the key and its line. */
import { assert, assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "node:path";
import { plannedRuns, runLabel } from "../pipeline/plan.ts";
import { applyOverrides, loadProfile, profileNames, validateProfile } from "../pipeline/profile.ts";
import { formatPlan } from "../pipeline/plan_table.ts";
import { dataSourcesFor, glueFiles, profileGlueTasks, xnliFiles } from "../pipeline/data_needs.ts";
import { stepFlops } from "../models/flops.ts";
import { InputError } from "../util/errors.ts";

const SMOKE = JSON.parse(await Deno.readTextFile(new URL("../profiles/smoke.json", import.meta.url)));

/** Writes `value` as a profile file and returns the error message of loading it. */
async function loadError(value: unknown, text?: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "bad.json");
  await Deno.writeTextFile(file, text ?? JSON.stringify(value, null, 2));
  const e = await assertRejects(() => loadProfile(file), InputError);
  return e.message;
}

Deno.test("the five shipped profiles validate and plan both architectures at matched compute per design", async () => {
  assertEquals(profileNames().filter((n) => ["smoke", "ci", "nightly", "weekly", "paper"].includes(n)).sort(), [
    "ci",
    "nightly",
    "paper",
    "smoke",
    "weekly",
  ]);
  for (const name of ["smoke", "ci", "nightly", "weekly", "paper"]) {
    const { profile } = await loadProfile(name);
    assertEquals(profile.name, name);
    const runs = plannedRuns(profile);
    for (const design of new Set(runs.map((r) => r.design.name))) {
      for (const corpus of ["default", "multilingual"] as const) {
        for (const arch of ["encoder", "decoder"] as const) {
          const of = runs.filter((r) => r.design.name === design && r.corpus === corpus && r.arch === arch);
          // A headless decoder's LM fine-tune is part of its compute: pretraining + fine-tune is the budget.
          const spend = of.map((r) =>
            r.design.budget === "flops"
              ? r.budget.amount + (r.lmFinetune?.flops ?? 0)
              : r.design.budget === "tokens"
              ? r.budget.amount + (r.lmFinetune?.tokens ?? 0)
              : r.budget.amount + (r.lmFinetune?.flops ?? 0) / profile.speed.pretrainFlopsPerSecond
          );
          assertEquals(
            new Set(spend.map((x) => x.toPrecision(12))).size,
            corpus === "multilingual" && (arch === "decoder" || !profile.multilingual) ? 0 : 1,
            `${name} ${design}: one ${corpus} ${arch} budget for every objective and seed`,
          );
        }
      }
    }
    assertStringIncludes(formatPlan(profile, runs), "total pretraining budget");
  }
});

Deno.test("budgetSoftmaxTokens is the softmax run's FLOPs for that many tokens, and CWT gets more tokens for it", async () => {
  const { profile } = await loadProfile("smoke");
  const runs = plannedRuns(profile);
  const dec = runs.filter((r) => r.arch === "decoder");
  const soft = dec.find((r) => r.objective === "softmax")!;
  const cwt = dec.find((r) => r.objective === "cwt")!;
  const a = profile.pretrain.decoder!;
  const perToken =
    stepFlops(soft.config, "softmax", { batch: a.batch, seqLen: a.seqLen, scored: a.batch * a.seqLen }).perToken;
  assertEquals(soft.budgetFlops, a.budgetSoftmaxTokens! * perToken);
  assertEquals(Math.round(soft.tokens), a.budgetSoftmaxTokens);
  assert(cwt.tokens > soft.tokens, "CWT is cheaper per token, so the same FLOPs buy more tokens");
});

Deno.test("the paper profile plans bert-base-50k and pythia-70m and requires the webgpu backend", async () => {
  const { profile } = await loadProfile("paper");
  assertEquals(profile.requireBackend, "webgpu");
  const runs = plannedRuns(profile);
  assertEquals(new Set(runs.map((r) => r.config.name)), new Set(["bert-base-50k", "pythia-70m"]));
  const pythiaSoftmax = runs.find((r) => r.arch === "decoder" && r.objective === "softmax")!;
  // 143k steps of 1024 x 2048 tokens.
  assertEquals(Math.round(pythiaSoftmax.tokens / 1e9), 300);
});

Deno.test("the multilingual section: its encoders at their own budget and vocabulary, XNLI files per setup, bad keys named", async () => {
  const { profile } = await loadProfile("smoke");
  const m = profile.multilingual!;
  const runs = plannedRuns(profile).filter((r) => r.corpus === "multilingual");
  assertEquals(runs.map(runLabel), ["multilingual-encoder-softmax-s0", "multilingual-encoder-cwt-s0"]);
  assert(runs.every((r) => r.config.vocabSize === m.tokenizer.vocabSize && r.arch === "encoder"));
  assertEquals(runs[0].budgetFlops, runs[1].budgetFlops);
  assertStringIncludes(formatPlan(profile, plannedRuns(profile)), "multilingual (ar en) at 0.5, 1 on XNLI");
  // "en": English train, every language's dev; "target": train + dev of languages with a translate-train file (hi has none).
  const x = { ...m.xnli, langs: ["ar", "hi"], setups: ["en", "target"] as ("en" | "target")[] };
  assertEquals(xnliFiles(x).sort(), [
    "xnli/ar/dev.tsv",
    "xnli/ar/train.tsv",
    "xnli/en/dev.tsv",
    "xnli/en/train.tsv",
    "xnli/hi/dev.tsv",
  ]);
  assertEquals(xnliFiles({ ...x, split: "test", setups: ["target"] }).sort(), [
    "xnli/ar/dev.tsv",
    "xnli/ar/test.tsv",
    "xnli/ar/train.tsv",
  ]);
  // A profile of the multilingual experiment alone is valid.
  const alone = validateProfile(
    applyOverrides(SMOKE, [
      "pretrain.encoder=null",
      "pretrain.decoder=null",
      "glue=null",
      "lambada=null",
      "blimp=null",
      "bpb=null",
    ]),
    "smoke.json",
  );
  assertEquals(plannedRuns(alone).map((r) => r.corpus), ["multilingual", "multilingual"]);
  assertEquals(validateProfile(applyOverrides(SMOKE, ["multilingual=null"]), "smoke.json").multilingual, null);
  const noSection = structuredClone(SMOKE);
  delete noSection.multilingual;
  assertEquals(validateProfile(noSection, "smoke.json").multilingual, null);
  assertThrows(
    () => validateProfile(applyOverrides(SMOKE, ['multilingual.languages=["ar","xx"]']), "smoke.json"),
    InputError,
    "multilingual.languages[1]: expected one of",
  );
  assertThrows(
    () => validateProfile(applyOverrides(SMOKE, ['multilingual.xnli.langs=["en","it"]']), "smoke.json"),
    InputError,
    "multilingual.xnli.langs[1]",
  );
  assertThrows(
    () => validateProfile(applyOverrides(SMOKE, ["multilingual.fetch=1"]), "smoke.json"),
    InputError,
    "multilingual.fetch: expected true or false",
  );
});

Deno.test("an unknown key names the file, the dotted key and its line", async () => {
  const bad = structuredClone(SMOKE);
  bad.pretrain.encoder.learningRate = 0.1;
  const msg = await loadError(bad);
  assertStringIncludes(msg, "bad.json:");
  assertStringIncludes(msg, "pretrain.encoder.learningRate: unknown key");
  const text = JSON.stringify(bad, null, 2);
  const line = text.split("\n").findIndex((l) => l.includes('"learningRate"')) + 1;
  assertStringIncludes(msg, `bad.json:${line}:`);
});

Deno.test("a wrong value names the key and what was expected", async () => {
  const bad = structuredClone(SMOKE);
  bad.glue.epochs = 0;
  assertStringIncludes(await loadError(bad), "glue.epochs: expected an integer >= 1, got 0");
  const bad2 = structuredClone(SMOKE);
  bad2.pretrain.objectives = ["softmax", "infonce"];
  assertStringIncludes(
    await loadError(bad2),
    'pretrain.objectives[1]: expected one of softmax, cwt, ce+cwt, nce-untied, got "infonce"',
  );
  const bad3 = structuredClone(SMOKE);
  bad3.pretrain.fractions = [0.25, 0.5];
  assertStringIncludes(await loadError(bad3), "pretrain.fractions: expected a list that includes 1");
});

Deno.test("a missing key, both budgets, and a GLUE section without an encoder are errors", async () => {
  const bad = structuredClone(SMOKE);
  delete bad.tokenizer.vocabSize;
  assertStringIncludes(await loadError(bad), "tokenizer.vocabSize: missing key");
  const both = structuredClone(SMOKE);
  both.pretrain.decoder.budgetFlops = 1e9;
  assertStringIncludes(
    await loadError(both),
    "pretrain.decoder: expected exactly one of budgetFlops and budgetSoftmaxTokens",
  );
  const noEncoder = structuredClone(SMOKE);
  noEncoder.pretrain.encoder = null;
  assertStringIncludes(await loadError(noEncoder), "glue: GLUE fine-tuning needs pretrain.encoder");
});

Deno.test("broken JSON gives the file and line; an unknown profile name lists the known ones", async () => {
  const msg = await loadError(null, '{\n  "name": "x",\n  "description": oops\n}');
  assertStringIncludes(msg, "bad.json:3:");
  const e = await assertRejects(() => loadProfile("no-such-profile"), InputError);
  assertStringIncludes(e.message, "no-such-profile.json");
  assertStringIncludes(e.message, "smoke");
});

Deno.test("--set overrides dotted keys with JSON values and is validated like the file", () => {
  const raw = applyOverrides(SMOKE, ["glue.epochs=3", "pretrain.seeds=[0,1]", "glue.loss=plain"]);
  const p = validateProfile(raw, "smoke.json");
  assertEquals([p.glue!.epochs, p.pretrain.seeds, p.glue!.loss], [3, [0, 1], "plain"]);
  assertEquals(SMOKE.glue.epochs, 1, "the original is untouched");
  assertThrows(() => applyOverrides(SMOKE, ["glue.epochs"]), InputError, "KEY=VALUE");
  assertThrows(
    () => validateProfile(applyOverrides(SMOKE, ["glue.batch=-1"]), "smoke.json"),
    InputError,
    "smoke.json: glue.batch",
  );
});

Deno.test("data needs: GLUE files per task and the `deno task data --only` names", () => {
  assertEquals(glueFiles("rte"), ["glue/RTE/train.tsv", "glue/RTE/dev.tsv"]);
  assertEquals(glueFiles("mnli"), ["glue/MNLI/train.tsv", "glue/MNLI/dev_matched.tsv", "glue/MNLI/dev_mismatched.tsv"]);
  assertEquals(
    dataSourcesFor(["glue/RTE/train.tsv", "glue/RTE/dev.tsv", "glue/SST-2/dev.tsv", "lambada/lambada_test.jsonl"]),
    ["RTE", "SST-2", "lambada"],
  );
});

Deno.test("glue.tasks all-in-cache picks the tasks whose train and dev files are cached, minus glue.exclude", async () => {
  const cache = await Deno.makeTempDir();
  for (const f of [...glueFiles("rte"), ...glueFiles("qqp"), "glue/QNLI/dev.tsv"]) {
    await Deno.mkdir(join(cache, f, ".."), { recursive: true });
    await Deno.writeTextFile(join(cache, f), "x\n");
  }
  const profile = validateProfile(applyOverrides(SMOKE, ['glue.tasks=["all-in-cache"]']), "smoke.json");
  assertEquals(profile.glue!.exclude, []);
  assertEquals(await profileGlueTasks(profile, cache), ["qqp", "rte"], "QNLI has no train file");
  const without = validateProfile(
    applyOverrides(SMOKE, ['glue.tasks=["all-in-cache"]', 'glue.exclude=["qqp"]']),
    "smoke.json",
  );
  assertEquals(await profileGlueTasks(without, cache), ["rte"]);
  assertThrows(
    () => validateProfile(applyOverrides(SMOKE, ['glue.tasks=["rte","glue2"]']), "smoke.json"),
    InputError,
    "glue.tasks[1]: expected one of",
  );
});
