/**
 * Child process of a pretraining stage: `deno run -A pipeline/pretrain_worker.ts SPEC.json` reads the
 * options written by pipeline/stages.ts and calls train/loop.ts's `pretrain` (which resumes a run found
 * in the output folder). Run as a child so each run gets a fresh wasm heap and a kill of the pipeline
 * kills the run with it.
 */
import { initBackend, loadModelConfig, type ModelConfig } from "../models/mod.ts";
import { pretrain, type PretrainOptions } from "../train/loop.ts";
import { readTokenManifest } from "../train/token_stream.ts";
import { transformerKit } from "../train/transformer_kit.ts";
import { runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";

/** The spec file: PretrainOptions without the resolved config and backend, plus how to build them. */
export interface PretrainSpec extends Omit<PretrainOptions<ModelConfig>, "config" | "backend"> {
  model: string;
  overrides: Partial<ModelConfig>;
  arch: "encoder" | "decoder";
  backend: string;
}

async function main() {
  const specPath = Deno.args[0];
  if (!specPath) throw new InputError("usage: pretrain_worker.ts SPEC.json");
  const spec = JSON.parse(await Deno.readTextFile(specPath)) as PretrainSpec;
  const { manifest } = await readTokenManifest(spec.tokensDir);
  const config = loadModelConfig(spec.model, { ...spec.overrides, arch: spec.arch, vocabSize: manifest.vocabSize });
  const backend = await initBackend(spec.backend);
  const { model: _m, overrides: _o, arch: _a, ...opts } = spec;
  const result = await pretrain({ ...opts, config, backend }, transformerKit);
  console.log(
    `pretrain ${result.status}: ${result.counters.step} steps, ${result.counters.flops.toExponential(3)} FLOPs, ${
      result.counters.seconds.toFixed(1)
    } s` +
      (result.resumedFromStep ? ` (resumed from step ${result.resumedFromStep})` : ""),
  );
}

if (import.meta.main) {
  await runMain(main);
  Deno.exit(0);
}
