/**
 * `deno task mc`: zero-shot multiple choice for a decoder checkpoint on any task given as JSONL
 * (`{"context": ..., "options": [...], "gold": i}` a line), scored as lm-evaluation-harness does
 * (evals/mc_stage.ts): the option with the highest summed log-likelihood (acc) and per character (acc_norm).
 *
 *   deno task mc --checkpoint runs/pretrain/<decoder run> --task examples/multiple_choice.jsonl
 */
import { basename } from "node:path";
import { buildFromCli } from "../artifacts/cli.ts";
import { openCheckpoint } from "../evals/eval_run.ts";
import { type McSpec, stage } from "../evals/mc_stage.ts";
import { loadMultipleChoiceJsonl } from "../evals/multiple_choice.ts";
import { initBackend } from "../models/mod.ts";
import { parseFlags, requiredFlag, runMain } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";

const FLAGS = {
  checkpoint: { type: "string", help: "decoder checkpoint folder (ckpt/frac-F) or pretraining run folder (required)" },
  task: { type: "string", help: "multiple-choice JSONL file: context, options, gold (required)" },
  tokenizer: { type: "string", help: "tokenizer.json (default: the one of the checkpoint's token folder)" },
  delimiter: { type: "string", default: " ", help: "joins the context and each option" },
  backend: { type: "string", default: "auto", help: "auto | tensorflow | wasm-blas | wasm | cpu" },
  out: { type: "string", help: "output folder (default runs/mc/<task>-<model>-<key>)" },
  force: { type: "boolean", help: "replace the output folder if it holds another artifact" },
} as const;

async function main() {
  const { values: v, positionals } = parseFlags("mc", FLAGS);
  if (positionals.length) throw new InputError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const task = requiredFlag("task", v.task);
  await loadMultipleChoiceJsonl(task); // a malformed file stops here, before the model loads
  const { summary, tokenizerFile } = await openCheckpoint(
    requiredFlag("checkpoint", v.checkpoint),
    v.tokenizer as string | undefined,
    "decoder",
    "multiple-choice scoring",
  );
  const spec: McSpec = {
    name: basename(task, ".jsonl"),
    delimiter: v.delimiter as string,
    backend: await initBackend(v.backend as string),
  };
  const inputs = { checkpoint: { dir: summary.dir }, tokenizer: { dir: tokenizerFile }, task: { dir: task } };
  await buildFromCli(stage, spec, inputs, {
    out: v.out as string | undefined,
    label: `${spec.name}-${summary.config.name}`,
    force: v.force === true,
    progress: { fraction: () => {}, say: (t) => console.log(t) },
  });
}

if (import.meta.main) await runMain(main);
