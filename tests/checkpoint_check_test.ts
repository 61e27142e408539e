/**
 * Loading checkpoints for evaluation (evals/checkpoint_check.ts): a run folder written like
 * tasks/pretrain.ts writes one (artifact.json naming its token folder, ckpt/frac-1 with the settings and
 * tensors) loads back exactly; a wrong architecture, a foreign tokenizer, a vocabulary of another size
 * and tensors of another model each fail with an error naming what differs.
 */
import * as tf from "@tensorflow/tfjs";
import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import { join, relative } from "node:path";
import { RECORD_FILE, RECORD_FORMAT } from "../artifacts/record.ts";
import {
  checkArchitecture,
  checkTokenizer,
  describeCheckpoint,
  loadCheckpointModel,
  modelFromSnapshot,
  modelSnapshot,
  tokenizerFacts,
} from "../evals/checkpoint_check.ts";
import { initBackend } from "../backends/mod.ts";
import { loadModelConfig, type ModelConfig } from "../models/config.ts";
import { createModel, type Model } from "../models/transformer.ts";
import { type StoredTensor, writeCheckpoint } from "../train/checkpoint.ts";
import { writeTokenFolder } from "../train/testing.ts";
import { readTokenManifest } from "../train/token_stream.ts";
import { InputError } from "../util/errors.ts";
import { sha256, sha256File, writeJsonAtomic } from "../util/fs.ts";

await initBackend("wasm");

const DECODER: ModelConfig = loadModelConfig("tiny", { name: "tiny-dec", arch: "decoder", tieHead: false });

/** Writes token folder + run folder with one checkpoint of `model`; returns the paths. */
async function writeRun(root: string, model: Model, config: Record<string, unknown> = { ...model.config }) {
  const tokensDir = join(root, "tokens");
  await writeTokenFolder(tokensDir, { train: [[5, 6, 7, 8, 9]], valid: [[5, 6]] }, { vocabSize: 48 });
  const { sha256: manifestSha256 } = await readTokenManifest(tokensDir);
  const runDir = join(root, "run");
  await Deno.mkdir(runDir, { recursive: true });
  // The record the artifact store writes for a pretraining run names its token folder (relative to the run).
  await writeJsonAtomic(join(runDir, RECORD_FILE), {
    format: RECORD_FORMAT,
    kind: "pretrain",
    key: "0123456789abcdef",
    spec: {},
    inputs: { tokens: { key: "fedcba9876543210", path: relative(runDir, tokensDir) } },
    files: {},
  });
  const tensors = new Map<string, StoredTensor>();
  for (const [name, p] of model.params) {
    tensors.set(`param/${name}`, { shape: p.shape, data: p.dataSync() as Float32Array });
  }
  const settings = {
    model: config,
    objective: "cwt",
    tokens: { manifestSha256 },
    budgetFlops: 1e9,
    seed: 3,
    backend: "wasm",
  };
  const counters = { step: 10, tokens: 640, flops: 1e9, seconds: 2 };
  const ckpt = await writeCheckpoint(join(runDir, "ckpt"), "frac-1", {
    settingsHash: "x",
    counters,
    data: { cursor: { epoch: 0, index: 0 }, maskRngState: 0 },
    adamStep: 10,
    logWindow: { loss: 0, gradNorm: 0, steps: 0 },
    fraction: 1,
    settings,
  }, tensors);
  return { tokensDir, runDir, ckpt, tokenizerFile: join(tokensDir, "tokenizer.json") };
}

Deno.test("a run folder loads back exactly, with its tokenizer checked", async () => {
  const root = await Deno.makeTempDir();
  const original = createModel(DECODER, 11, { head: false });
  const { runDir, ckpt, tokenizerFile, tokensDir } = await writeRun(root, original);
  const summary = await describeCheckpoint(runDir);
  assertEquals(summary.dir, ckpt);
  assertEquals(summary.config, DECODER);
  assertEquals(summary.objective, "cwt");
  assertEquals(summary.hasHeadParams, false);
  checkArchitecture(summary, "decoder", "LAMBADA");
  const trained = await checkTokenizer(summary, await tokenizerFacts(tokenizerFile, 48));
  assertEquals(trained.tokensDir, tokensDir);
  assertEquals(trained.sha256, await sha256File(tokenizerFile));

  const loaded = await loadCheckpointModel(summary);
  assertEquals([...loaded.params.keys()], [...original.params.keys()]);
  for (const [name, p] of original.params) assertEquals(loaded.params.get(name)!.dataSync(), p.dataSync(), name);
  const copy = modelFromSnapshot(loaded.config, modelSnapshot(loaded));
  for (const [name, p] of original.params) assertEquals(copy.params.get(name)!.dataSync(), p.dataSync(), name);
  copy.params.get("embed.tok.w")!.assign(tf.zeros([48, 16]));
  assertEquals(loaded.params.get("embed.tok.w")!.dataSync(), original.params.get("embed.tok.w")!.dataSync());
  for (const m of [original, loaded, copy]) m.dispose();
  await Deno.remove(root, { recursive: true });
});

Deno.test("mismatches name what differs: architecture, tokenizer hash, vocabulary, tensors", async () => {
  const root = await Deno.makeTempDir();
  const model = createModel(DECODER, 1);
  const { runDir, ckpt, tokenizerFile } = await writeRun(root, model);
  const summary = await describeCheckpoint(ckpt);

  const arch = assertThrows(() => checkArchitecture(summary, "encoder", "GLUE fine-tuning"), InputError);
  assertStringIncludes(
    arch.message,
    "GLUE fine-tuning needs an encoder, but the checkpoint is a decoder (model tiny-dec, cwt objective)",
  );
  assertStringIncludes(arch.message, ckpt);

  const other = join(root, "other-tokenizer.json");
  await Deno.writeTextFile(other, JSON.stringify({ toy: "another" }));
  const otherSha = await sha256File(other);
  const hash = await assertRejects(() => tokenizerFacts(other, 48).then((f) => checkTokenizer(summary, f)), InputError);
  assertStringIncludes(hash.message, `tokenizer mismatch: this tokenizer's sha256 is ${otherSha}`);
  assertStringIncludes(hash.message, `trained with tokenizer sha256 ${await sha256File(tokenizerFile)}`);

  await assertRejects(
    () => tokenizerFacts(tokenizerFile, 50).then((f) => checkTokenizer(summary, f)),
    InputError,
    "vocabulary mismatch: the tokenizer has 50 tokens but the checkpoint's model tiny-dec has vocabSize 48",
  );

  // Without the run's record, and with a tokenizer away from the token folder, the hash cannot be vouched for.
  await Deno.remove(join(runDir, RECORD_FILE));
  await assertRejects(
    () => tokenizerFacts(other, 48).then((f) => checkTokenizer(summary, f)),
    InputError,
    "cannot tell which tokenizer",
  );
  // ... but the tokenizer beside its token folder's manifest still is.
  await checkTokenizer(summary, await tokenizerFacts(tokenizerFile, 48));

  // The stored config says encoder, the tensors are a decoder's: the decoder head is foreign, the MLM head missing.
  const wrong = await writeRun(join(root, "wrong"), model, { ...DECODER, arch: "encoder" });
  const err = await assertRejects(async () => loadCheckpointModel(await describeCheckpoint(wrong.ckpt)), InputError);
  assertStringIncludes(err.message, "checkpoint does not fit an encoder of config tiny-dec");
  assertStringIncludes(err.message, "tensor param/head.w is not a parameter of the model");
  assertStringIncludes(err.message, "parameter head.transform.w [16,16] is missing");

  // A config with a wider model than the tensors: the shapes are named.
  const wide = await writeRun(join(root, "wide"), model, { ...DECODER, dFF: 64 });
  await assertRejects(
    async () => loadCheckpointModel(await describeCheckpoint(wide.ckpt)),
    InputError,
    "parameter blocks.0.mlp.fc.w has shape [16,32], the model expects [16,64]",
  );
  await assertRejects(() => describeCheckpoint(root), InputError, "not a checkpoint");
  model.dispose();
  await Deno.remove(root, { recursive: true });
});

Deno.test("evaluation refuses a checkpoint with a NaN weight, an edited meta.json, or a run folder holding one", async () => {
  const root = await Deno.makeTempDir();
  const model = createModel(DECODER, 2, { head: false });
  const { ckpt } = await writeRun(root, model);

  // A diverged run's checkpoint, as the code before format /2 could write one: meta.json and tensors.bin only.
  const tensorsFile = join(ckpt, "tensors.bin");
  const bytes = await Deno.readFile(tensorsFile);
  new Float32Array(bytes.buffer)[3] = NaN;
  const meta = JSON.parse(await Deno.readTextFile(join(ckpt, "meta.json")));
  await Deno.writeFile(tensorsFile, bytes);
  await Deno.writeTextFile(
    join(ckpt, "meta.json"),
    JSON.stringify({ ...meta, format: "headless-bench-checkpoint/1", tensorsSha256: sha256(bytes) }),
  );
  await Deno.remove(join(ckpt, "record.json"));
  const summary = await describeCheckpoint(ckpt);
  const err = await assertRejects(() => loadCheckpointModel(summary), InputError);
  assertEquals(err.message.split("\n").length, 1);
  assertStringIncludes(err.message, `${tensorsFile}: tensor ${meta.tensors[0].name} holds NaN at index 3`);

  // An edited meta.json (the FLOPs) of a format /2 checkpoint: refused by path, and the run folder is not
  // silently resolved to another checkpoint.
  const again = await writeRun(join(root, "edited"), model);
  model.dispose();
  const metaFile = join(again.ckpt, "meta.json");
  const edited = JSON.parse(await Deno.readTextFile(metaFile));
  edited.counters.flops *= 2;
  await Deno.writeTextFile(metaFile, JSON.stringify(edited, null, 2) + "\n");
  await assertRejects(() => describeCheckpoint(again.ckpt), InputError, `${metaFile}: differs from its record`);
  await assertRejects(
    () => describeCheckpoint(again.runDir),
    InputError,
    "run the same pretraining command again to clear it",
  );
  await Deno.remove(root, { recursive: true });
});
