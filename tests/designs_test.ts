/**
 * Comparison designs in profiles and plans (train/designs.ts, pipeline/runs.ts, pipeline/plan.ts): the
 * default design plans what it always did; a token design gives every objective the baseline's tokens, a
 * dense head raises the baseline's FLOPs; a headless decoder's LM fine-tune comes out of its budget;
 * sweeps of vocabulary and batch; random-init references; bad designs and runs without a partner name
 * the profile file and key.
 */
import { assert, assertAlmostEquals, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { stepFlops } from "../models/flops.ts";
import { expectedScored } from "../models/masking.ts";
import { type CorpusSlice, planStages, pretrainSpec, sharedTraining, trainingIdentity } from "../pipeline/plan.ts";
import { formatPlan } from "../pipeline/plan_table.ts";
import { applyOverrides, loadProfile, type Profile, validateProfile } from "../pipeline/profile.ts";
import { lmFinetuneCost, plannedRuns, randomInitRuns, runLabel } from "../pipeline/runs.ts";
import type { InitSpec } from "../train/init_stage.ts";
import type { PretrainSpec } from "../train/pretrain_stage.ts";
import { InputError } from "../util/errors.ts";

const SMOKE = JSON.parse(await Deno.readTextFile(new URL("../profiles/smoke.json", import.meta.url)));
const TWO_DESIGNS = 'pretrain.designs=[{"budget":"tokens","head":"dense"},{"budget":"flops","head":"sparse"}]';

const profileWith = (...sets: string[]): Profile =>
  validateProfile(applyOverrides(SMOKE, ["multilingual=null", ...sets]), "smoke.json");

/** The error message of loading SMOKE with `sets` from a file. */
async function loadError(...sets: string[]): Promise<string> {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "bad.json");
  await Deno.writeTextFile(file, JSON.stringify(applyOverrides(SMOKE, sets), null, 2));
  return (await assertRejects(() => loadProfile(file), InputError)).message;
}

const corpus: CorpusSlice = {
  name: "default",
  documents: [{ id: "a", source: "s", text: "some text" }],
  sha256: "c0ffee",
  bytes: 9,
  description: null,
  files: [],
  givenTokenizer: null,
};

const plan = (profile: Profile) =>
  planStages({
    profile,
    backend: "wasm",
    glueTasks: ["rte"],
    dataHashes: {},
    glueTrainExamples: {},
    glueDevExamples: {},
    corpus,
  });

Deno.test("a profile without designs plans the default design: plain labels, and the spec fields it always had", () => {
  const profile = profileWith();
  assertEquals(profile.pretrain.designs, [{ budget: "flops", head: "sparse" }]);
  assertEquals(profile.pretrain.randomInit, false);
  const runs = plannedRuns(profile);
  assertEquals(runs.map(runLabel), ["encoder-softmax-s0", "encoder-cwt-s0", "decoder-softmax-s0", "decoder-cwt-s0"]);
  const spec = pretrainSpec(runs[0], [0.5, 1], "wasm");
  assertEquals(Object.keys(spec).sort(), [
    "accum",
    "arch",
    "backend",
    "batch",
    "beta1",
    "beta2",
    "budgetFlops",
    "ckptEvery",
    "clip",
    "eps",
    "evalBatches",
    "fractions",
    "logEvery",
    "lr",
    "lrFloorFrac",
    "model",
    "objective",
    "overrides",
    "schedule",
    "seed",
    "seqLen",
    "warmupFrac",
    "weightDecay",
  ]);
  // Both encoders spend the same FLOPs: the softmax one's on budgetSoftmaxTokens.
  assertEquals(runs[0].budgetFlops, runs[1].budgetFlops);
  assertEquals(Math.round(runs[0].tokens), SMOKE.pretrain.encoder.budgetSoftmaxTokens);
});

Deno.test("two designs: each plans every run; equal tokens with a dense head against matched FLOPs with a sparse one", () => {
  const profile = profileWith(TWO_DESIGNS);
  const runs = plannedRuns(profile);
  assertEquals(runs.map(runLabel), [
    "encoder-softmax-s0-tokens-dense",
    "encoder-cwt-s0-tokens-dense",
    "decoder-softmax-s0-tokens-dense",
    "decoder-cwt-s0-tokens-dense",
    "encoder-softmax-s0",
    "encoder-cwt-s0",
    "decoder-softmax-s0",
    "decoder-cwt-s0",
  ]);
  const get = (label: string) => runs.find((r) => runLabel(r) === label)!;
  const a = profile.pretrain.encoder!;
  const T = a.budgetSoftmaxTokens!;
  // Equal tokens: both encoders train on the softmax baseline's tokens.
  for (const o of ["softmax", "cwt"]) {
    const r = get(`encoder-${o}-s0-tokens-dense`);
    assertEquals(r.budget, { mode: "tokens", amount: T });
    assertEquals(pretrainSpec(r, [1], "wasm").budgetTokens, T);
    assertEquals(pretrainSpec(r, [1], "wasm").design, "tokens-dense");
  }
  // The dense head computes logits at every position: the baseline's FLOPs per token, by hand.
  const c = get("encoder-softmax-s0-tokens-dense").config;
  const [d, V, n, S] = [c.dModel, c.vocabSize, a.batch * a.seqLen, expectedScored("encoder", a.batch, a.seqLen)];
  const body = stepFlops(c, "cwt", { batch: a.batch, seqLen: a.seqLen, scored: 0 }).total;
  const dense = get("encoder-softmax-s0-tokens-dense").flopsPerToken;
  assertAlmostEquals(dense * n, body + 3 * n * (2 * d * d + 2 * d * V), 1);
  const sparse = get("encoder-softmax-s0").flopsPerToken;
  assertAlmostEquals(sparse * n, body + 3 * S * (2 * d * d + 2 * d * V), 1);
  assertEquals(pretrainSpec(get("encoder-softmax-s0-tokens-dense"), [1], "wasm").head, "dense");
  // Matched FLOPs, sparse head: CWT gets the FLOPs of the softmax run, so more tokens.
  assertEquals(get("encoder-cwt-s0").budget, get("encoder-softmax-s0").budget);
  assert(get("encoder-cwt-s0").tokens > T);
  assertStringIncludes(formatPlan(profile, runs), "tokens-dense");
});

Deno.test("two designs that train the same model train it once: its evaluations are relabelled for the other", () => {
  const profile = profileWith(TWO_DESIGNS, "pretrain.randomInit=true");
  const runs = plannedRuns(profile);
  const get = (label: string) => runs.find((r) => runLabel(r) === label)!;
  const shared = sharedTraining(profile, runs, "wasm");
  // The softmax decoder scores every position, so its dense and sparse heads cost the same, and equal tokens
  // are equal FLOPs: the same steps, the same model. Encoders at a FLOP budget stop where their masked
  // positions say (data-dependent), CWT at matched FLOPs trains longer: neither is shared.
  assertEquals([...shared].map(([r, s]) => [runLabel(r), runLabel(s)]), [
    ["decoder-softmax-s0", "decoder-softmax-s0-tokens-dense"],
  ]);
  assertEquals(trainingIdentity(get("encoder-softmax-s0"), [0.5, 1], "wasm"), null);
  assert(trainingIdentity(get("encoder-softmax-s0-tokens-dense"), [0.5, 1], "wasm") !== null);
  // At equal tokens the head does not change the training either: tokens-dense and tokens-sparse share both
  // objectives of both architectures.
  const heads = profileWith(
    'pretrain.designs=[{"budget":"tokens","head":"dense"},{"budget":"tokens","head":"sparse"}]',
  );
  const headRuns = plannedRuns(heads);
  assertEquals(sharedTraining(heads, headRuns, "wasm").size, 4);
  // ... but not when anything else about the training differs (the batch here).
  const batch = profileWith(
    'pretrain.designs=[{"budget":"tokens","head":"dense"},{"budget":"tokens","head":"sparse","batch":4}]',
  );
  assertEquals(sharedTraining(batch, plannedRuns(batch), "wasm").size, 0);

  const stages = plan(profile);
  const ids = stages.map((s) => s.id);
  assert(ids.includes("pretrain/decoder-softmax-s0-tokens-dense"));
  assert(!ids.includes("pretrain/decoder-softmax-s0"), "the shared run is not trained again");
  const sourceEvals = stages.filter((s) =>
    s.label.startsWith("decoder-softmax-s0-tokens-dense-f") && s.stage.kind !== "relabel"
  );
  const relabels = stages.filter((s) => s.stage.kind === "relabel");
  assert(sourceEvals.length > 0);
  assertEquals(
    relabels.map((s) => s.label),
    sourceEvals.map((s) => s.label.replace("decoder-softmax-s0-tokens-dense", "decoder-softmax-s0")),
  );
  assertEquals(relabels.map((s) => s.inputs.source), sourceEvals.map((s) => ({ stage: s.id })));
  assertEquals(relabels[0].spec, { objective: "softmax", from: "tokens-dense", to: "", flopsScale: 1 });
  // Relabels come after the stages they read; the plan table marks the shared run and leaves it out of the time.
  for (const r of relabels) {
    assert(ids.indexOf(r.id) > ids.indexOf((r.inputs.source as { stage: string }).stage));
  }
  const table = formatPlan(profile, runs, [], shared);
  assertStringIncludes(table, "decoder-softmax-s0 (= decoder-softmax-s0-tokens-dense)");
  assertStringIncludes(table, "trained once");
});

Deno.test("a headless decoder's LM fine-tune is taken out of its budget: headless + fine-tune = vanilla", () => {
  const profile = profileWith(TWO_DESIGNS);
  const runs = plannedRuns(profile);
  const get = (label: string) => runs.find((r) => runLabel(r) === label)!;
  const l = profile.lambada!;
  const config = get("decoder-cwt-s0").config;
  const lm = lmFinetuneCost(profile, config)!;
  // By hand: lmSteps steps of lmBatch x lmSeqLen tokens, every one scored by the softmax head.
  assertEquals(lm.tokens, l.lmSteps * l.lmBatch * l.lmSeqLen!);
  const shape = { batch: l.lmBatch, seqLen: l.lmSeqLen!, scored: l.lmBatch * l.lmSeqLen! };
  assertEquals(lm.flops, l.lmSteps * stepFlops({ ...config, tieHead: false }, "softmax", shape).total);
  const vanilla = get("decoder-softmax-s0");
  const headless = get("decoder-cwt-s0");
  assertEquals(headless.lmFinetune, lm);
  assertEquals(vanilla.lmFinetune, null);
  assertAlmostEquals(headless.budget.amount + lm.flops, vanilla.budget.amount, 1);
  const tokens = get("decoder-cwt-s0-tokens-dense");
  assertEquals(tokens.budget.amount + lm.tokens, get("decoder-softmax-s0-tokens-dense").budget.amount);
  assertStringIncludes(formatPlan(profile, runs), "LM fine-tune");
  // No LAMBADA (or no fine-tuning steps): nothing to take out.
  const none = plannedRuns(profileWith("lambada.lmSteps=0"));
  assertEquals(none.find((r) => runLabel(r) === "decoder-cwt-s0")!.budget, vanilla.budget);
});

Deno.test("sweeps: a design's vocabulary gets its own tokenize stage; a design's batch its own runs", () => {
  const profile = profileWith(
    'pretrain.designs=[{"budget":"flops","head":"sparse"},{"budget":"flops","head":"sparse","vocabSize":8192},{"budget":"tokens","head":"sparse","batch":4}]',
  );
  const runs = plannedRuns(profile);
  const v8k = runs.filter((r) => r.design.name === "flops-sparse-v8192");
  assertEquals(v8k.length, 4);
  assert(v8k.every((r) => r.config.vocabSize === 8192));
  const b4 = runs.filter((r) => r.design.name === "tokens-sparse-b4");
  assert(b4.every((r) => r.settings.batch === 4 && pretrainSpec(r, [1], "wasm").batch === 4));
  const stages = plan(profile);
  const tokenize = stages.filter((s) => s.stage.kind === "tokenize");
  assertEquals(tokenize.map((s) => s.id), ["tokenize/corpus", "tokenize/corpus-v8192"]);
  assertEquals(tokenize.map((s) => (s.spec as { vocabSize: number }).vocabSize), [4096, 8192]);
  const run = stages.find((s) => s.id === "pretrain/encoder-cwt-s0-flops-sparse-v8192")!;
  assertEquals(run.inputs.tokens, { stage: "tokenize/corpus-v8192" });
});

Deno.test("the ablation objectives plan beside softmax, each in the FLOP counter", () => {
  const profile = profileWith('pretrain.objectives=["softmax","ce+cwt","nce-untied"]');
  const runs = plannedRuns(profile).filter((r) => r.arch === "encoder");
  const perToken = Object.fromEntries(runs.map((r) => [r.objective, r.flopsPerToken]));
  assert(perToken["ce+cwt"] > perToken.softmax, "ce+cwt pays for both heads");
  assert(perToken["nce-untied"] < perToken.softmax);
  // The NCE decoder is headless: its budget leaves room for the LM fine-tune; ce+cwt has a head.
  const dec = plannedRuns(profile).filter((r) => r.arch === "decoder");
  assert(dec.find((r) => r.objective === "nce-untied")!.lmFinetune !== null);
  assertEquals(dec.find((r) => r.objective === "ce+cwt")!.lmFinetune, null);
});

Deno.test("random-init references: an init stage per architecture and seed, evaluated at fraction 0", () => {
  const profile = profileWith(TWO_DESIGNS, "pretrain.randomInit=true");
  assertEquals(randomInitRuns(profile).map(runLabel), ["encoder-random-init-s0", "decoder-random-init-s0"]);
  const stages = plan(profile);
  const init = stages.find((s) => s.id === "init/decoder-random-init-s0")!;
  assertEquals(init.spec as InitSpec, {
    model: "tiny",
    overrides: SMOKE.pretrain.decoder.overrides,
    arch: "decoder",
    seed: 0,
    backend: "wasm",
  });
  const evals = stages.filter((s) => s.label.includes("random-init")).map((s) => s.id);
  assertEquals(evals, [
    "init/encoder-random-init-s0",
    "glue/encoder-random-init-s0-f0-rte",
    "blimp/encoder-random-init-s0-f0-blimp",
    "init/decoder-random-init-s0",
    "lambada/decoder-random-init-s0-f0-lambada",
    "blimp/decoder-random-init-s0-f0-blimp",
    "bpb/decoder-random-init-s0-f0-bpb",
  ]);
  assertEquals(stages.find((s) => s.id === "glue/encoder-random-init-s0-f0-rte")!.inputs.checkpoint, {
    stage: "init/encoder-random-init-s0",
    path: "ckpt/frac-0",
  });
  // Fine-tuning dropout reaches the GLUE specs only when set (so existing specs keep their keys).
  const withDropout = plan(profileWith("glue.dropout=0.1"));
  const glue = (ps: typeof stages) => ps.find((s) => s.stage.kind === "glue")!.spec as { dropout?: number };
  assertEquals(glue(withDropout).dropout, 0.1);
  assertEquals(glue(stages).dropout, undefined);
  const pre = stages.find((s) => s.id === "pretrain/decoder-cwt-s0-tokens-dense")!.spec as PretrainSpec;
  assertEquals([pre.design, pre.head, pre.budgetFlops], ["tokens-dense", "dense", undefined]);
});

Deno.test("bad designs, a seconds design without budgetSeconds and runs without a partner name the file and key", async () => {
  assertStringIncludes(
    await loadError('pretrain.designs=[{"budget":"hours","head":"sparse"}]'),
    'pretrain.designs[0].budget: expected one of flops, tokens, seconds, got "hours"',
  );
  assertStringIncludes(
    await loadError('pretrain.designs=[{"budget":"flops","head":"full"}]'),
    'pretrain.designs[0].head: expected one of sparse, dense, got "full"',
  );
  assertStringIncludes(
    await loadError('pretrain.designs=[{"budget":"flops","head":"sparse","temperature":1}]'),
    "pretrain.designs[0].temperature: unknown key",
  );
  const seconds = await loadError('pretrain.designs=[{"budget":"seconds","head":"sparse"}]');
  assertStringIncludes(seconds, "bad.json:");
  assertStringIncludes(seconds, 'pretrain.designs[0].budget: a "seconds" design needs pretrain.encoder.budgetSeconds');
  assertStringIncludes(
    await loadError('pretrain.designs=[{"budget":"flops","head":"sparse"},{"budget":"flops","head":"sparse"}]'),
    'pretrain.designs[1]: design "flops-sparse" is already pretrain.designs[0]',
  );
  const alone = await loadError('pretrain.objectives=["cwt"]');
  assertStringIncludes(alone, "bad.json:");
  assertStringIncludes(alone, 'pretrain.objectives: expected "softmax" and at least one objective to compare with it');
  assertStringIncludes(
    await loadError('pretrain.objectives=["softmax"]'),
    "(its partner runs)",
  );
  assertStringIncludes(await loadError("lambada.lmSteps=1000"), "lambada.lmSteps: the LM fine-tune of a headless");
  // A seconds design with the budget given plans budgetSeconds per run (the fine-tune's share estimated).
  const p = profileWith(
    'pretrain.designs=[{"budget":"seconds","head":"sparse"}]',
    "pretrain.encoder.budgetSeconds=30",
    "pretrain.decoder.budgetSeconds=30",
  );
  const runs = plannedRuns(p);
  assertEquals(runs.find((r) => r.arch === "encoder")!.budget, { mode: "seconds", amount: 30 });
  const cwt = runs.find((r) => r.arch === "decoder" && r.objective === "cwt")!;
  assertAlmostEquals(cwt.budget.amount, 30 - cwt.lmFinetune!.flops / p.speed.pretrainFlopsPerSecond, 1e-9);
  assertEquals(pretrainSpec(cwt, [1], "wasm").budgetSeconds, cwt.budget.amount);
});
