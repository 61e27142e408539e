/**
 * A pretraining checkpoint out to a Hugging Face model folder: model.safetensors (float32),
 * config.json, tokenizer.json with its post-processor, tokenizer_config.json, special_tokens_map.json
 * and export.json (where it came from). Decoders become GPT2LMHeadModel, encoders XLM-RoBERTa-XL (see
 * gpt2.ts and xlm_roberta_xl.ts for why they reproduce our forward exactly). The folder is written
 * under a temporary name and renamed into place.
 */
import { basename, dirname, join, relative, resolve } from "node:path";
import { checkTokenizer, describeCheckpoint, findCheckpointTokenizer } from "../evals/checkpoint_check.ts";
import { parameterShapes } from "../models/transformer.ts";
import { loadAnyTokenizer } from "../tokenizer/load_any.ts";
import { requireSpecials } from "../tokenizer/special_roles.ts";
import { readCheckpoint } from "../train/checkpoint.ts";
import { InputError } from "../util/errors.ts";
import { exists, writeJsonAtomic } from "../util/fs.ts";
import { type DecoderHead, gpt2Config, gpt2Tensors } from "./gpt2.ts";
import { encodeSafetensors, type F32Tensor } from "./safetensors.ts";
import { tokenizerFiles } from "./tokenizer_files.ts";
import { xlmRobertaXlConfig, xlmRobertaXlTensors } from "./xlm_roberta_xl.ts";

/** What to export. */
export interface ExportOptions {
  /** A checkpoint folder, or a pretraining run folder (its newest checkpoint). */
  checkpoint: string;
  /** The folder to create. */
  outDir: string;
  /** The tokenizer.json the checkpoint was trained with (default: its token folder's). */
  tokenizerFile?: string;
  /** Replace `outDir` if it exists. */
  force?: boolean;
}

/** What was exported. */
export interface ExportResult {
  outDir: string;
  /** The transformers class in config.json's architectures. */
  className: string;
  /** Decoders: where the LM head comes from; encoders: "mlm" (with the MLM head) or "none" (headless). */
  head: DecoderHead | "mlm" | "none";
  parameters: number;
  tokenizerSha256: string;
}

/** Exports `options.checkpoint` to `options.outDir`. */
export async function exportCheckpoint(options: ExportOptions): Promise<ExportResult> {
  const outDir = resolve(options.outDir);
  if (await exists(outDir) && !options.force) {
    throw new InputError(`output folder already exists (use another --out, or --force to replace it)`, outDir);
  }
  const summary = await describeCheckpoint(options.checkpoint);
  const config = summary.config;
  let tokenizerFile = options.tokenizerFile;
  if (tokenizerFile === undefined) {
    const found = await findCheckpointTokenizer(summary);
    if (!found) {
      throw new InputError(
        `--tokenizer is required: the checkpoint's token folder was not found from its run's artifact record`,
        summary.dir,
      );
    }
    tokenizerFile = join(found.tokensDir, "tokenizer.json");
  }
  const loaded = await loadAnyTokenizer(tokenizerFile);
  await checkTokenizer(summary, { file: tokenizerFile, sha256: loaded.sha256, vocabSize: loaded.tokenizer.vocabSize });
  const params = await readParams(summary.dir, parameterShapes(config, { head: summary.hasHeadParams }));

  let tensors: Map<string, F32Tensor>, hfConfig: Record<string, unknown>, head: ExportResult["head"];
  if (config.arch === "decoder") {
    const specials = requireSpecials(loaded.tokenizer, "decoder", tokenizerFile);
    head = summary.hasHeadParams ? "own" : config.tieHead && summary.objective !== "cwt" ? "tied" : "embedding-copy";
    tensors = gpt2Tensors(config, params, head);
    hfConfig = gpt2Config(config, head, { eot: specials.eot.id, pad: specials.pad?.id });
  } else {
    const specials = requireSpecials(loaded.tokenizer, "encoder", tokenizerFile);
    head = summary.hasHeadParams ? "mlm" : "none";
    tensors = xlmRobertaXlTensors(config, params, specials.pad.id);
    hfConfig = xlmRobertaXlConfig(config, summary.hasHeadParams, {
      pad: specials.pad.id,
      cls: specials.cls.id,
      sep: specials.sep.id,
    });
  }
  const files = tokenizerFiles(
    config.arch,
    loaded.tokenizer,
    new TextDecoder().decode(loaded.bytes),
    config.context,
    tokenizerFile,
  );

  await Deno.mkdir(dirname(outDir), { recursive: true });
  const tmp = join(dirname(outDir), `.${basename(outDir)}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  await Deno.mkdir(tmp);
  try {
    await Deno.writeFile(join(tmp, "model.safetensors"), encodeSafetensors(tensors, { format: "pt" }));
    await writeJsonAtomic(join(tmp, "config.json"), hfConfig);
    for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(tmp, name), text);
    await writeJsonAtomic(join(tmp, "export.json"), {
      format: "headless-bench-export/1",
      className: (hfConfig.architectures as string[])[0],
      head,
      checkpoint: relative(outDir, summary.dir),
      objective: summary.objective,
      model: config,
      tokenizer: { file: relative(outDir, resolve(tokenizerFile)), sha256: loaded.sha256 },
      counters: summary.meta.counters,
    });
    if (await exists(outDir)) await Deno.remove(outDir, { recursive: true });
    await Deno.rename(tmp, outDir);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
  return {
    outDir,
    className: (hfConfig.architectures as string[])[0],
    head,
    parameters: [...params.values()].reduce((n, t) => n + t.data.length, 0),
    tokenizerSha256: loaded.sha256,
  };
}

/** The checkpoint's `param/*` tensors, each checked against the shape the model has. */
async function readParams(dir: string, shapes: Map<string, number[]>): Promise<Map<string, F32Tensor>> {
  const { meta, tensors } = await readCheckpoint(dir);
  const stored = new Map(
    meta.tensors.filter((t) => t.name.startsWith("param/")).map((t) => [t.name.slice(6), t.shape]),
  );
  const problems = [
    ...[...stored.keys()].filter((name) => !shapes.has(name)).map((name) => `${name} is not a model parameter`),
    ...[...shapes].filter(([name, shape]) => JSON.stringify(stored.get(name)) !== JSON.stringify(shape))
      .map(([name, shape]) =>
        `${name} should be ${JSON.stringify(shape)}, is ${JSON.stringify(stored.get(name) ?? "missing")}`
      ),
  ];
  if (problems.length) {
    throw new InputError(`checkpoint does not fit its model config: ${problems.slice(0, 3).join("; ")}`, dir);
  }
  return new Map([...shapes].map(([name, shape]) => [name, { shape, data: tensors.get(`param/${name}`)! }]));
}
