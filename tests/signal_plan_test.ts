/**
 * The BLiMP and bits-per-byte stages in the plan (pipeline/plan.ts) behind the profile's `blimp` and
 * `bpb` keys: the unigram references once on the default token folder; at the chosen fractions, BLiMP for
 * decoders (and encoders when asked) and bits per byte for decoders, a headless decoder's with the LM
 * fine-tunes its LAMBADA stage then keeps; without the keys the plan is what it was. Bad keys are named.
 */
import { assert, assertEquals, assertThrows } from "@std/assert";
import { blimpFiles, requiredFiles } from "../pipeline/data_needs.ts";
import { type PlanContext, type PlannedStage, planStages } from "../pipeline/plan.ts";
import { applyOverrides, type Profile, validateProfile } from "../pipeline/profile.ts";
import { InputError } from "../util/errors.ts";

const SMOKE = JSON.parse(await Deno.readTextFile(new URL("../profiles/smoke.json", import.meta.url)));

function plan(sets: string[]): { profile: Profile; stages: PlannedStage[] } {
  const profile = validateProfile(applyOverrides(SMOKE, ["multilingual=null", ...sets]), "smoke.json");
  const files = requiredFiles(["rte"], true, null, profile.blimp);
  const ctx: PlanContext = {
    profile,
    backend: "wasm",
    glueTasks: ["rte"],
    dataHashes: Object.fromEntries(files.map((f) => [f, `sha-of-${f}`])),
    glueTrainExamples: { rte: 100 },
    glueDevExamples: { rte: 50 },
    corpus: {
      name: "default",
      documents: [],
      sha256: "0".repeat(64),
      bytes: 100_000,
      description: null,
      files: [],
      givenTokenizer: null,
    },
  };
  return { profile, stages: planStages(ctx) };
}

const byId = (stages: PlannedStage[], id: string) => {
  const s = stages.find((x) => x.id === id);
  if (!s) throw new Error(`no stage ${id} among ${stages.map((x) => x.id).join(", ")}`);
  return s;
};

Deno.test("smoke plans BLiMP and bits per byte at the last checkpoint, with the unigram references once", () => {
  const { stages } = plan([]);
  const signal = stages.filter((s) => ["blimp", "bpb"].includes(s.stage.kind)).map((s) => s.id);
  assertEquals(signal, [
    "blimp/unigram",
    "bpb/unigram",
    "blimp/encoder-softmax-s0-f1-blimp",
    "blimp/encoder-cwt-s0-f1-blimp",
    "blimp/decoder-softmax-s0-f1-blimp",
    "bpb/decoder-softmax-s0-f1-bpb",
    "blimp/decoder-cwt-s0-f1-blimp",
    "bpb/decoder-cwt-s0-f1-bpb",
  ]);
  assertEquals(byId(stages, "blimp/unigram").inputs, { tokens: { stage: "tokenize/corpus" } });
  assertEquals(byId(stages, "blimp/unigram").spec, {
    scorer: "unigram",
    paradigms: ["adjunct_island", "determiner_noun_agreement_1"],
    limitPerParadigm: 20,
    maxTokens: 4096,
    data: {
      "blimp/adjunct_island.jsonl": "sha-of-blimp/adjunct_island.jsonl",
      "blimp/determiner_noun_agreement_1.jsonl": "sha-of-blimp/determiner_noun_agreement_1.jsonl",
    },
    backend: "",
  });

  // The headless decoder: its LAMBADA stage keeps the LM fine-tunes at fraction 1, and both signal stages read them.
  const checkpoint = { stage: "pretrain/decoder-cwt-s0", path: "ckpt/frac-1" };
  const tokenizer = { stage: "tokenize/corpus", path: "tokenizer.json" };
  const lmft = { stage: "lambada/decoder-cwt-s0-f1-lambada", path: "lm-finetuned/seed-0" };
  assertEquals(byId(stages, "blimp/decoder-cwt-s0-f1-blimp").inputs, {
    checkpoint,
    tokenizer,
    "lmFinetuned:0": lmft,
  });
  assertEquals(byId(stages, "bpb/decoder-cwt-s0-f1-bpb").inputs, {
    checkpoint,
    tokenizer,
    "lmFinetuned:0": lmft,
    tokens: { stage: "tokenize/corpus" },
  });
  const saves = (id: string) => (byId(stages, id).spec as { saveModels: boolean }).saveModels;
  assertEquals(saves("lambada/decoder-cwt-s0-f1-lambada"), true);
  assertEquals(saves("lambada/decoder-cwt-s0-f0.5-lambada"), false);
  assertEquals(saves("lambada/decoder-softmax-s0-f1-lambada"), false);
  assert(!("lmFinetuned:0" in byId(stages, "blimp/decoder-softmax-s0-f1-blimp").inputs));
  // Every stage an input names comes earlier in the plan.
  stages.forEach((s, i) => {
    for (const input of Object.values(s.inputs)) {
      if ("stage" in input) assert(stages.slice(0, i).some((x) => x.id === input.stage), `${s.id} <- ${input.stage}`);
    }
  });
});

Deno.test("without the keys the plan has no signal stages and LAMBADA keeps no models", () => {
  const { stages } = plan(["blimp=null", "bpb=null"]);
  assertEquals(stages.filter((s) => ["blimp", "bpb"].includes(s.stage.kind)), []);
  assert(
    stages.filter((s) => s.stage.kind === "lambada").every((s) => !(s.spec as { saveModels: boolean }).saveModels),
  );
  const noKeys = structuredClone(SMOKE);
  delete noKeys.blimp;
  delete noKeys.bpb;
  const profile = validateProfile(noKeys, "smoke.json");
  assertEquals([profile.blimp, profile.bpb], [null, null]);
});

Deno.test("every fraction with fractions null; BLiMP of decoders only without encoders; all 67 files with paradigms null", () => {
  const { stages } = plan(["blimp.fractions=null", "blimp.encoders=false", "bpb=null"]);
  assertEquals(stages.filter((s) => s.stage.kind === "blimp").map((s) => s.id), [
    "blimp/unigram",
    "blimp/decoder-softmax-s0-f0.5-blimp",
    "blimp/decoder-softmax-s0-f1-blimp",
    "blimp/decoder-cwt-s0-f0.5-blimp",
    "blimp/decoder-cwt-s0-f1-blimp",
  ]);
  assertEquals(blimpFiles({ paradigms: null }).length, 67);
  assertEquals(blimpFiles({ paradigms: ["causative"] }), ["blimp/causative.jsonl"]);
});

Deno.test("bad blimp and bpb keys are named", () => {
  const bad = (sets: string[], message: string) =>
    assertThrows(() => validateProfile(applyOverrides(SMOKE, sets), "smoke.json"), InputError, message);
  bad(['blimp.paradigms=["adjunct_island","no_such"]'], "blimp.paradigms[1]: expected one of");
  bad(["blimp.fractions=[0.25]"], "blimp.fractions: 0.25 not among pretrain.fractions [0.5,1]");
  bad(["bpb.limitDocuments=0"], "bpb.limitDocuments: expected an integer >= 1");
  bad(["bpb.extra=1"], "bpb.extra: unknown key");
  bad(["pretrain.decoder=null", "lambada=null"], "bpb: bits per byte needs pretrain.decoder");
  bad(
    ["pretrain.decoder=null", "lambada=null", "bpb=null", "blimp.encoders=false"],
    "blimp: BLiMP needs pretrain.decoder, or pretrain.encoder with blimp.encoders true",
  );
});

Deno.test("glue.fractions: GLUE fine-tunes only the chosen checkpoints (every one when null); a fraction not pretrained is named", () => {
  const glueIds = (sets: string[]) => plan(sets).stages.filter((s) => s.stage.kind === "glue").map((s) => s.id);
  assertEquals(glueIds([]), [
    "glue/encoder-softmax-s0-f0.5-rte",
    "glue/encoder-softmax-s0-f1-rte",
    "glue/encoder-cwt-s0-f0.5-rte",
    "glue/encoder-cwt-s0-f1-rte",
  ]);
  assertEquals(glueIds(["glue.fractions=[1]"]), ["glue/encoder-softmax-s0-f1-rte", "glue/encoder-cwt-s0-f1-rte"]);
  // The other evaluations keep their own fractions: LAMBADA still runs at both checkpoints.
  const lambada = plan(["glue.fractions=[1]"]).stages.filter((s) => s.stage.kind === "lambada").map((s) => s.id);
  assertEquals(lambada.length, 4);
  assertThrows(
    () => validateProfile(applyOverrides(SMOKE, ["glue.fractions=[0.25]"]), "smoke.json"),
    InputError,
    "glue.fractions: 0.25 not among pretrain.fractions [0.5,1]",
  );
});

Deno.test("random-init references are scored by every section whatever its fractions: they are every comparison's reference", () => {
  // The full list of these stages is tests/designs_test.ts's; here it must not depend on the fractions.
  const randomInitIds = (overrides: string[]) =>
    plan(["pretrain.randomInit=true", ...overrides]).stages.map((s) => s.id).filter((id) => id.includes("random-init"));
  const everyFraction = randomInitIds([]);
  assertEquals(everyFraction.filter((id) => id.includes("-f0-")).length, 5);
  assertEquals(randomInitIds(["glue.fractions=[1]", "bpb.fractions=[1]", "blimp.fractions=[1]"]), everyFraction);
});
