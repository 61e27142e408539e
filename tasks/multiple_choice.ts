/**
 * `deno task mc`: zero-shot multiple choice for a decoder checkpoint on any task given as JSONL
 * (`{"context": ..., "options": [...], "gold": i}` a line), scored as lm-evaluation-harness does: the
 * option with the highest summed log-likelihood (acc) and per character (acc_norm). Writes results.csv
 * rows in the reports/ format.
 *
 *   deno task mc --checkpoint runs/pretrain/<decoder run> --task examples/multiple_choice.jsonl
 */
import { basename, join } from "node:path";
import { ModelScorer } from "../evals/causal_scorer.ts";
import { checkpointColumns, claimEvalOutput, loadScoringDecoder, openCheckpoint } from "../evals/eval_run.ts";
import { loadMultipleChoiceJsonl, scoreMultipleChoice } from "../evals/multiple_choice.ts";
import { initBackend } from "../models/mod.ts";
import { RESULT_COLUMNS, writeCsvAtomic } from "../reports/rows.ts";
import { findSpecials } from "../tokenizer/special_roles.ts";
import { parseFlags, runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";
import { sha256File, writeJsonAtomic } from "../util/fs.ts";

const FLAGS = {
  checkpoint: {
    type: "string" as const,
    help: "decoder checkpoint folder (ckpt/frac-F) or pretraining run folder (required)",
  },
  task: { type: "string" as const, help: "multiple-choice JSONL file: context, options, gold (required)" },
  tokenizer: { type: "string" as const, help: "tokenizer.json (default: the one in the checkpoint's token folder)" },
  delimiter: { type: "string" as const, default: " ", help: "joins the context and each option" },
  out: { type: "string" as const, help: "output folder (default runs/mc/<task>-<model>-<settings hash>)" },
  backend: { type: "string" as const, default: "auto", help: "auto | tensorflow | wasm-blas | wasm | cpu" },
};

async function main() {
  const { values: v } = parseFlags("mc", FLAGS);
  if (typeof v.checkpoint !== "string") throw new InputError("--checkpoint is required");
  if (typeof v.task !== "string") throw new InputError("--task is required (a multiple-choice JSONL file)");
  const items = await loadMultipleChoiceJsonl(v.task);
  const { summary, tokenizer, trained } = await openCheckpoint(
    v.checkpoint,
    v.tokenizer as string | undefined,
    "decoder",
    "multiple-choice scoring",
  );
  const backend = await initBackend(v.backend as string);
  const taskName = `mc/${basename(v.task, ".jsonl")}`;
  const settings = {
    checkpoint: { tensorsSha256: summary.meta.tensorsSha256 },
    tokenizerSha256: trained.sha256,
    task: { file: v.task, sha256: await sha256File(v.task) },
    delimiter: v.delimiter,
    backend,
  };
  const { outDir, hash, tmpDir } = await claimEvalOutput(
    "mc",
    `${basename(v.task, ".jsonl")}-${summary.config.name}`,
    settings,
    v.out as string | undefined,
  );
  if (tmpDir === null) {
    console.log(`already scored with these settings: ${outDir}`);
    return;
  }
  const t0 = performance.now();
  const { model, config, headless } = await loadScoringDecoder(summary);
  try {
    const result = await scoreMultipleChoice(
      new ModelScorer(model),
      { encode: (s) => tokenizer.encode(s), eotId: findSpecials(tokenizer).eot?.id },
      items,
      {
        delimiter: v.delimiter as string,
      },
    );
    const base = checkpointColumns(summary, config);
    const rows = ([["acc", result.acc], ["acc_norm", result.accNorm]] as const).map(([metric, value]) => ({
      ...base,
      seed: base.pretrain_seed === "" ? 0 : base.pretrain_seed,
      task: taskName,
      metric,
      value,
      policy: "",
    }));
    await writeCsvAtomic(
      join(tmpDir, "results.csv"),
      [...RESULT_COLUMNS, "pretrain_seed", "model", "checkpoint"],
      rows,
    );
    const seconds = (performance.now() - t0) / 1000;
    await writeJsonAtomic(join(tmpDir, "mc.json"), {
      settings,
      settingsHash: hash,
      items: result.n,
      headless,
      seconds,
    });
    await Deno.rename(tmpDir, outDir);
    console.log(
      `${taskName} (${result.n} items${headless ? ", E^T head" : ""}): acc ${(100 * result.acc).toFixed(2)}, acc_norm ${
        (100 * result.accNorm).toFixed(2)
      } (${seconds.toFixed(1)} s)`,
    );
    console.log(`results: ${join(outDir, "results.csv")}`);
  } catch (e) {
    await Deno.remove(tmpDir, { recursive: true }).catch(() => {});
    throw e;
  } finally {
    model.dispose();
  }
}

if (import.meta.main) await runMain(main);
