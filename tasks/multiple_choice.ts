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
import { initBackend } from "../backends/mod.ts";
import { type FlagSpec, parseFlags, runMain } from "../util/cli.ts";
import { sharedFlags } from "../util/flags.ts";

const FLAGS = {
  ...sharedFlags({
    checkpoint: { required: true },
    tokenizer: { defaultHelp: "the one of the checkpoint's token folder" },
    backend: { default: "auto" },
    out: { defaultHelp: "runs/mc/<task>-<model>-<key>" },
    force: true,
  }),
  task: { type: "string", required: true, help: "multiple-choice JSONL file: context, options, gold" },
  delimiter: { type: "string", default: " ", help: "joins the context and each option" },
} satisfies FlagSpec;

async function main() {
  const { values: v } = parseFlags("mc", FLAGS);
  const task = v.task as string;
  await loadMultipleChoiceJsonl(task); // a malformed file stops here, before the model loads
  const { summary, tokenizerFile } = await openCheckpoint(
    v.checkpoint as string,
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
