/**
 * Budget modes of the pretraining loop (train/budget.ts, train/loop.ts) on the toy kit: a token budget
 * stops at the first step reaching it with checkpoints at token fractions and resumes to the same bytes;
 * a seconds budget stops past its seconds, counts seconds across a resume and runs its learning-rate
 * schedule on the share of seconds spent; exactly one budget; the settings of a FLOP run read as before.
 */
import { assert, assertEquals, assertThrows } from "@std/assert";
import { join } from "node:path";
import { keyOf } from "../artifacts/hash.ts";
import { initBackend } from "../backends/mod.ts";
import { budgetOf, describeBudget } from "../train/budget.ts";
import { fractionDirName, pretrain, type PretrainOptions, runSettings } from "../train/loop.ts";
import { randomDocuments, toyConfig, toyKit, writeTokenFolder } from "../train/testing.ts";
import { InputError } from "../util/errors.ts";
import { sha256 } from "../util/fs.ts";
import { Rng } from "../util/rng.ts";

await initBackend("wasm");

const VOCAB = 40;
const tokensDir = await Deno.makeTempDir();
{
  const rng = new Rng(3);
  await writeTokenFolder(
    tokensDir,
    { train: randomDocuments(rng, 60, VOCAB), valid: randomDocuments(rng, 10, VOCAB) },
    { vocabSize: VOCAB },
  );
}

/** Decoder options on the toy kit: 4 rows of 8 tokens, 2 micro-batches, so 64 tokens a step. */
function options(outDir: string, budget: Partial<PretrainOptions>): PretrainOptions {
  return {
    config: toyConfig("decoder", VOCAB, 8, 8),
    objective: "softmax",
    tokensDir,
    ...budget,
    batch: 4,
    accum: 2,
    seqLen: 8,
    lr: 3e-2,
    warmupFrac: 0.2,
    schedule: "linear",
    lrFloorFrac: 0,
    weightDecay: 0.1,
    beta1: 0.9,
    beta2: 0.95,
    eps: 1e-8,
    clip: 1,
    seed: 5,
    backend: "wasm",
    evalBatches: 1,
    fractions: [0.25, 0.5, 1],
    outDir,
    logEvery: 1,
    ckptEvery: 3,
    quiet: true,
  };
}

const logRows = async (out: string) => {
  const [head, ...rows] = (await Deno.readTextFile(join(out, "train_log.csv"))).trim().split("\n");
  const cols = head.split(",");
  return rows.map((r) => Object.fromEntries(r.split(",").map((v, i) => [cols[i], Number(v)])));
};

Deno.test("a token budget stops at the first step reaching it; checkpoints at token fractions; plannedSteps from tokens", async () => {
  const out = join(await Deno.makeTempDir(), "run");
  // 64 tokens a step: 1000 tokens end at step 16 (1024); fractions 250, 500, 1000 at steps 4, 8, 16.
  const result = await pretrain(options(out, { budgetTokens: 1000 }), toyKit);
  assertEquals([result.status, result.counters.step, result.counters.tokens], ["done", 16, 1024]);
  assertEquals(result.plannedSteps, 16);
  assertEquals(result.checkpoints.map((c) => [c.fraction, c.step, c.tokens]), [[0.25, 4, 256], [0.5, 8, 512], [
    1,
    16,
    1024,
  ]]);
});

Deno.test("a token-budget run stopped and resumed ends with the same bytes as an uninterrupted one", async () => {
  const root = await Deno.makeTempDir();
  const whole = await pretrain(options(join(root, "whole"), { budgetTokens: 1000 }), toyKit);
  const first = await pretrain({ ...options(join(root, "cut"), { budgetTokens: 1000 }), stopAfterSteps: 10 }, toyKit);
  assertEquals(first.status, "stopped");
  const rest = await pretrain(options(join(root, "cut"), { budgetTokens: 1000 }), toyKit);
  assert(rest.resumedFromStep >= 8, `resumed from ${rest.resumedFromStep}`);
  assertEquals(rest.counters.tokens, whole.counters.tokens);
  const bytes = async (run: string) =>
    sha256(await Deno.readFile(join(root, run, "ckpt", fractionDirName(1), "tensors.bin")));
  assertEquals(await bytes("cut"), await bytes("whole"));
});

Deno.test("a seconds budget stops just past its seconds, counts them across a resume, and decays the rate over them", async () => {
  const out = join(await Deno.makeTempDir(), "run");
  const budgetSeconds = 2;
  const opts = { ...options(out, { budgetSeconds }), ckptEvery: 2 };
  const first = await pretrain({ ...opts, stopAfterSteps: 5 }, toyKit);
  assertEquals(first.status, "stopped");
  const result = await pretrain(opts, toyKit);
  assertEquals(result.status, "done");
  assert(result.resumedFromStep >= 3 && result.resumedFromStep <= 5, `resumed from ${result.resumedFromStep}`);
  const rows = await logRows(out);
  const last = rows.at(-1)!;
  // It stops at the first step that ends past the budget: the step before ended inside it.
  assert(last.seconds >= budgetSeconds, `${last.seconds} s`);
  assert(rows.at(-2)!.seconds < budgetSeconds, `${rows.at(-2)!.seconds} s before the last step`);
  // Seconds count across the resume: the resumed run's first step carries on from the checkpoint's seconds.
  const resumed = rows.find((r) => r.step === result.resumedFromStep + 1)!;
  assert(resumed.seconds > rows.find((r) => r.step === result.resumedFromStep)!.seconds);
  for (const c of result.checkpoints) assert(c.seconds >= c.fraction * budgetSeconds, JSON.stringify(c));
  // Linear decay to 0 over the seconds: the rate falls after warmup, and the last step ran near its end.
  assert(rows.length >= 10, `${rows.length} steps in ${budgetSeconds} s`);
  const afterWarmup = rows.filter((r) => r.seconds > 0.3 * budgetSeconds).map((r) => r.lr);
  afterWarmup.slice(1).forEach((lr, i) => assert(lr <= afterWarmup[i], `lr rose: ${afterWarmup[i]} -> ${lr}`));
  assert(last.lr < 0.25 * 3e-2, `last lr ${last.lr}`);
});

Deno.test("exactly one budget, positive; the budget in words", () => {
  assertThrows(() => budgetOf({}), InputError, "got none");
  assertThrows(() => budgetOf({ budgetFlops: 1, budgetTokens: 2 }), InputError, "--budget-flops and --budget-tokens");
  assertThrows(() => budgetOf({ budgetSeconds: 0 }), InputError, "--budget-seconds must be a positive number");
  assertEquals(budgetOf({ budgetTokens: 10 }), { mode: "tokens", amount: 10 });
  assertEquals(describeBudget({ mode: "tokens", amount: 150000 }), "150000 tokens");
  assertEquals(describeBudget({ mode: "flops", amount: 1.5e12 }), "1.50e+12 FLOPs");
});

Deno.test("a FLOP-budget run with a sparse head and no design has the settings (and settings hash) it always had", () => {
  const o = options("/tmp/x", { budgetFlops: 1e6 });
  const before = {
    model: o.config,
    objective: o.objective,
    tokens: { manifestSha256: "abc" },
    budgetFlops: 1e6,
    batch: o.batch,
    accum: o.accum,
    seqLen: o.seqLen,
    lr: o.lr,
    warmupFrac: o.warmupFrac,
    schedule: o.schedule,
    lrFloorFrac: o.lrFloorFrac,
    weightDecay: o.weightDecay,
    betas: [o.beta1, o.beta2],
    eps: o.eps,
    clip: o.clip,
    seed: o.seed,
    backend: o.backend,
    evalBatches: o.evalBatches,
    fractions: o.fractions,
  };
  assertEquals(keyOf(runSettings(o, "abc")), keyOf(before));
  assertEquals(keyOf(runSettings({ ...o, head: "sparse" }, "abc")), keyOf(before));
  const dense = runSettings({ ...o, head: "dense", design: "tokens-dense" }, "abc");
  assertEquals([dense.head, dense.design], ["dense", "tokens-dense"]);
});
