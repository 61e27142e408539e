/**
 * Kill and resume: a run stopped mid-way and resumed from its newest checkpoint ends with the same
 * bytes as an uninterrupted run, in-process (toy model) and as a real SIGKILLed subprocess.
 */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { initBackend } from "../backends/mod.ts";
import { readCheckpoint } from "../train/checkpoint.ts";
import { fractionDirName, pretrain, type PretrainOptions } from "../train/loop.ts";
import type { Arch, ModelKit, Objective } from "../train/model_kit.ts";
import { transformerKit } from "../train/transformer_kit.ts";
import { loadModelConfig } from "../models/config.ts";
import { randomDocuments, toyConfig, toyKit, writeTokenFolder } from "../train/testing.ts";
import { InputError } from "../util/errors.ts";
import { exists, sha256 } from "../util/fs.ts";
import { REPO_ROOT } from "../util/paths.ts";
import { Rng } from "../util/rng.ts";

await initBackend("wasm");

const VOCAB = 40;
const tokensDir = await Deno.makeTempDir();
{
  const rng = new Rng(1);
  await writeTokenFolder(
    tokensDir,
    { train: randomDocuments(rng, 60, VOCAB), valid: randomDocuments(rng, 10, VOCAB) },
    { vocabSize: VOCAB },
  );
}

/** The loop runs against the toy kit and the real transformer (the `tiny` config, shrunk further). */
const KITS = {
  toy: { kit: toyKit as unknown as ModelKit, config: (arch: Arch) => toyConfig(arch, VOCAB, 8, 8) },
  transformer: {
    kit: transformerKit as unknown as ModelKit,
    config: (arch: Arch) => loadModelConfig("tiny", { arch, vocabSize: VOCAB, context: 8, layers: 1 }),
  },
};
type KitName = keyof typeof KITS;

function options(
  arch: Arch,
  objective: Objective,
  outDir: string,
  stepsOfBudget: number,
  kitName: KitName = "toy",
): PretrainOptions {
  const config = KITS[kitName].config(arch);
  const batch = 4;
  const accum = 2;
  // Decoder steps have a fixed FLOP count; encoder steps vary with the number of masked tokens.
  const perStep = accum *
    KITS[kitName].kit.stepFlops(config, objective, { batch, seqLen: 8, scored: arch === "decoder" ? batch * 8 : 5 })
      .total;
  return {
    config,
    objective,
    tokensDir,
    budgetFlops: stepsOfBudget * perStep,
    batch,
    accum,
    seqLen: 8,
    lr: 3e-2,
    warmupFrac: 0.2,
    schedule: "cosine",
    lrFloorFrac: 0.1,
    weightDecay: 0.1,
    beta1: 0.9,
    beta2: 0.95,
    eps: 1e-8,
    clip: 1,
    seed: 17,
    backend: "wasm",
    evalBatches: 2,
    outDir,
    logEvery: 2,
    ckptEvery: 5,
    quiet: true,
  };
}

const bytesOf = async (dir: string) => sha256(await Deno.readFile(join(dir, "tensors.bin")));
const csvRows = async (path: string) => (await Deno.readTextFile(path)).trim().split("\n");
/** train_log.csv without the wall-clock columns (seconds, tokens_per_s). */
const deterministicLog = async (out: string) =>
  (await csvRows(join(out, "train_log.csv"))).map((l) => l.split(",").filter((_, i) => i !== 3 && i !== 7).join(","));

const COMBOS = [["decoder", "cwt"], ["decoder", "softmax"], ["encoder", "cwt"], ["encoder", "softmax"]] as const;
for (
  const [kitName, [arch, objective]] of (["toy", "transformer"] as const).flatMap((k) =>
    COMBOS.map((c) => [k, c] as const)
  )
) {
  const kit = KITS[kitName].kit;
  Deno.test(`${kitName} ${arch}/${objective}: stopped at step 13, resumed twice, ends with the same bytes as an uninterrupted run`, async () => {
    const root = await Deno.makeTempDir();
    const whole = await pretrain(options(arch, objective, join(root, "whole"), 24, kitName), kit);
    assertEquals(whole.status, "done");
    assertEquals(whole.resumedFromStep, 0);

    const out = join(root, "killed");
    const first = await pretrain({ ...options(arch, objective, out, 24, kitName), stopAfterSteps: 13 }, kit);
    assertEquals([first.status, first.counters.step], ["stopped", 13]);
    const second = await pretrain({ ...options(arch, objective, out, 24, kitName), stopAfterSteps: 17 }, kit);
    assertEquals(second.status, "stopped");
    assert(second.resumedFromStep >= 10 && second.resumedFromStep <= 13, `resumed from ${second.resumedFromStep}`);
    const third = await pretrain(options(arch, objective, out, 24, kitName), kit);
    assertEquals(third.status, "done");
    assert(third.resumedFromStep >= 15 && third.resumedFromStep <= 17, `resumed from ${third.resumedFromStep}`);

    assertEquals(third.counters.step, whole.counters.step);
    assertEquals(third.counters.flops, whole.counters.flops);
    for (const f of [0.125, 0.25, 0.5, 1]) {
      const [a, b] = [join(root, "whole", "ckpt", fractionDirName(f)), join(out, "ckpt", fractionDirName(f))];
      assertEquals(await bytesOf(b), await bytesOf(a), `checkpoint at fraction ${f}: weights and optimizer state`);
      const [ma, mb] = [(await readCheckpoint(a)).meta, (await readCheckpoint(b)).meta];
      assertEquals(mb.eval, ma.eval);
      assertEquals(mb.data, ma.data);
    }
    assertEquals(await deterministicLog(out), await deterministicLog(join(root, "whole")));
    // The finished run in the folder is reported, not retrained.
    const again = await pretrain(options(arch, objective, out, 24, kitName), kit);
    assertEquals([again.status, again.counters.step], ["done", whole.counters.step]);
  });
}

Deno.test("fraction checkpoints sit at the first step whose cumulative FLOPs reach each fraction", async () => {
  const opts = options("decoder", "softmax", join(await Deno.makeTempDir(), "run"), 20);
  const perStep = opts.budgetFlops! / 20;
  const budget = 19.5 * perStep; // fractions fall inside steps: 2.44, 4.88, 9.75, 19.5 steps
  opts.budgetFlops = budget;
  const result = await pretrain(opts, toyKit);
  assertEquals(result.counters.step, 20);
  assertEquals(result.plannedSteps, 20);
  assertEquals(result.checkpoints.map((c) => [c.fraction, c.step]), [[0.125, 3], [0.25, 5], [0.5, 10], [1, 20]]);
  for (const c of result.checkpoints) {
    assert(c.flops >= c.fraction * budget && c.flops - perStep < c.fraction * budget);
    assert(Number.isFinite(c.valid_loss));
  }
  const csv = await csvRows(join(opts.outDir, "checkpoints.csv"));
  assertEquals(csv[0], "fraction,step,tokens,flops,seconds,valid_loss,checkpoint");
  assertEquals(
    csv.slice(1).map((l) => l.split(",").slice(0, 3).join(",")),
    ["0.125,3,96", "0.25,5,160", "0.5,10,320", "1,20,640"].map((s) => {
      const [f, step] = s.split(",");
      return `${f},${step},${Number(step) * 2 * 4 * 8}`;
    }),
  );
  // Loss goes down on this learnable toy data: final valid loss below the first.
  assert(result.checkpoints[3].valid_loss < result.checkpoints[0].valid_loss);
  const log = await csvRows(join(opts.outDir, "train_log.csv"));
  assertEquals(log[0], "step,tokens,flops,seconds,loss,lr,grad_norm,tokens_per_s");
  assertEquals(log.slice(1).map((l) => Number(l.split(",")[0])), [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
});

Deno.test("a folder holding a run with other settings is refused", async () => {
  const out = join(await Deno.makeTempDir(), "run");
  await pretrain({ ...options("decoder", "cwt", out, 6), stopAfterSteps: 2 }, toyKit);
  await assertRejects(
    () => pretrain({ ...options("decoder", "cwt", out, 6), lr: 1e-3 }, toyKit),
    InputError,
    "lr: 0.03 vs 0.001",
  );
  await assertRejects(
    () => pretrain({ ...options("decoder", "softmax", out, 6) }, toyKit),
    InputError,
    `objective: "cwt" vs "softmax"`,
  );
});

Deno.test("the temporary file of an atomic write that a kill left in the run folder is removed, not refused", async () => {
  const out = join(await Deno.makeTempDir(), "run");
  await pretrain({ ...options("decoder", "cwt", out, 8), stopAfterSteps: 6 }, toyKit);
  const leftovers = ["train_log.csv.4242.0a1b2c3d.tmp", "checkpoints.csv.17.ffffffff.tmp"];
  for (const name of leftovers) await Deno.writeTextFile(join(out, name), "step,tok");
  await Deno.writeTextFile(join(out, "notes.txt.1.0a1b2c3d.tmp"), "not ours");
  await assertRejects(() => pretrain(options("decoder", "cwt", out, 8), toyKit), InputError, "holds notes.txt.1.");
  await Deno.remove(join(out, "notes.txt.1.0a1b2c3d.tmp"));
  assertEquals((await pretrain(options("decoder", "cwt", out, 8), toyKit)).status, "done");
  for (const name of leftovers) assert(!(await exists(join(out, name))), name);
});

Deno.test("a finished run with an edited checkpoint and a half-removed folder: both removed with a message, the part redone to the same bytes", async () => {
  const root = await Deno.makeTempDir();
  const whole = join(root, "whole");
  await pretrain(options("decoder", "softmax", whole, 24), toyKit);
  const out = join(root, "edited");
  await pretrain(options("decoder", "softmax", out, 24), toyKit);
  const ckpt = join(out, "ckpt");
  const metaFile = join(ckpt, "frac-0.5", "meta.json");
  const meta = JSON.parse(await Deno.readTextFile(metaFile));
  meta.counters.flops *= 2; // still valid JSON, still a plausible number
  await Deno.writeTextFile(metaFile, JSON.stringify(meta, null, 2) + "\n");
  await Deno.mkdir(join(ckpt, ".old-0f"));
  await Deno.mkdir(join(ckpt, ".trash-1a"));

  const again = await pretrain(options("decoder", "softmax", out, 24), toyKit);
  assertEquals(again.status, "done");
  assertEquals(again.discarded.length, 2, again.discarded.join("\n"));
  assertStringIncludes(again.discarded.join("\n"), `checkpoint ${join(ckpt, "frac-0.5")} skipped and removed: `);
  assertStringIncludes(again.discarded.join("\n"), `checkpoint ${join(ckpt, ".old-0f")} skipped and removed: `);
  const quarter = (await readCheckpoint(join(whole, "ckpt", fractionDirName(0.25)))).meta.counters.step;
  assertEquals(again.resumedFromStep, quarter, "resumed from the last checkpoint before the removed one");
  for (const f of [0.125, 0.25, 0.5, 1]) {
    const [a, b] = [join(whole, "ckpt", fractionDirName(f)), join(ckpt, fractionDirName(f))];
    assertEquals(await bytesOf(b), await bytesOf(a), `checkpoint at fraction ${f}`);
    const counters = async (dir: string) => ({ ...(await readCheckpoint(dir)).meta.counters, seconds: 0 });
    assertEquals(await counters(b), await counters(a), "counters (but the wall-clock seconds)");
  }
  assertEquals([...Deno.readDirSync(ckpt)].map((e) => e.name).sort(), [0.125, 0.25, 0.5, 1].map(fractionDirName));
});

// ---- A real kill: tasks/pretrain.ts as a subprocess on the `tiny` transformer config, SIGKILLed. ----

const tinyTokens = await Deno.makeTempDir();
{
  const rng = new Rng(2);
  await writeTokenFolder(tinyTokens, { train: randomDocuments(rng, 80, 48), valid: randomDocuments(rng, 10, 48) }, {
    vocabSize: 48,
  });
}

function pretrainCommand(out: string, extra: string[] = []) {
  const args = [
    "run",
    "-A",
    join(REPO_ROOT, "tasks", "pretrain.ts"),
    "--model",
    "tiny",
    "--objective",
    "cwt",
    "--tokens",
    tinyTokens,
    "--budget-flops",
    "3.5e8",
    "--batch",
    "4",
    "--lr",
    "3e-3",
    "--backend",
    "wasm",
    "--valid-batches",
    "2",
    "--log-every",
    "5",
    "--ckpt-every",
    "10",
    "--out",
    out,
    ...extra,
  ];
  return new Deno.Command(Deno.execPath(), { args, cwd: REPO_ROOT, stdout: "piped", stderr: "piped" });
}

async function runToEnd(out: string, extra: string[] = []) {
  const { code, stdout, stderr } = await pretrainCommand(out, extra).output();
  const [o, e] = [new TextDecoder().decode(stdout), new TextDecoder().decode(stderr)];
  return { code, stdout: o, stderr: e };
}

Deno.test("SIGKILLed tasks/pretrain.ts resumes on restart and ends with the same weights as an uninterrupted run", async () => {
  const root = await Deno.makeTempDir();
  const whole = await runToEnd(join(root, "whole"));
  assertEquals(whole.code, 0, whole.stderr);

  const out = join(root, "killed");
  const child = pretrainCommand(out).spawn();
  const drain = Promise.all([child.stdout.pipeTo(new WritableStream()), child.stderr.pipeTo(new WritableStream())]);
  const deadline = Date.now() + 60_000;
  // The run builds in OUT.partial (artifacts/store.ts) and becomes OUT only when finished.
  while (!(await exists(join(out + ".partial", "ckpt", "latest", "meta.json")))) {
    assert(Date.now() < deadline, "no checkpoint within 60 s");
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill("SIGKILL");
  const status = await child.status;
  await drain;
  assertEquals(status.signal, "SIGKILL");
  assert(!(await exists(out)), "the kill came before the run finished");

  const resumed = await runToEnd(out);
  assertEquals(resumed.code, 0, resumed.stderr);
  const from = Number(resumed.stdout.match(/resumed from step (\d+)/)?.[1]);
  assert(from >= 10, `resumed from step ${from}`);
  const record = JSON.parse(await Deno.readTextFile(join(out, "artifact.json")));
  assertEquals(record.resumes, 1);
  for (const f of [0.125, 0.25, 0.5, 1]) {
    const name = fractionDirName(f);
    assertEquals(
      await bytesOf(join(out, "ckpt", name)),
      await bytesOf(join(root, "whole", "ckpt", name)),
      `checkpoint ${name}`,
    );
  }

  const other = await runToEnd(out, ["--seed", "5"]);
  assertEquals(other.code, 2);
  assertStringIncludes(other.stderr, "seed: 0 vs 5");
});
