/**
 * The multiple-choice stage: zero-shot scoring of a decoder checkpoint on a JSONL task
 * (`{"context": ..., "options": [...], "gold": i}` a line), as lm-evaluation-harness scores multiple choice:
 * the option with the highest summed log-likelihood (acc) and per character (acc_norm).
 */
import type { Stage } from "../artifacts/stage.ts";
import { initBackend } from "../backends/mod.ts";
import { findSpecials } from "../tokenizer/special_roles.ts";
import { ModelScorer } from "./causal_scorer.ts";
import { checkpointColumns, loadScoringDecoder, openCheckpoint } from "./eval_run.ts";
import { loadMultipleChoiceJsonl, scoreMultipleChoice, truncationLine } from "./multiple_choice.ts";
import { ResultSink } from "./result_sink.ts";

/** Everything that decides a multiple-choice stage's results (checkpoint, tokenizer and task file are inputs). */
export interface McSpec {
  /** The task's name in result rows (`mc/<name>`). */
  name: string;
  /** Joins the context and each option. */
  delimiter: string;
  backend: string;
}

/** The stage. Inputs: `checkpoint` (a decoder checkpoint), `tokenizer` (its tokenizer.json), `task` (the JSONL file). */
export const stage: Stage<McSpec> = {
  kind: "mc",
  module: import.meta.url,
  isolate: true,
  async run(spec, io) {
    const t0 = performance.now();
    const items = await loadMultipleChoiceJsonl(io.inputs.task);
    const { summary, tokenizer } = await openCheckpoint(
      io.inputs.checkpoint,
      io.inputs.tokenizer,
      "decoder",
      "multiple-choice scoring",
    );
    await initBackend(spec.backend);
    const { model, config, headless } = await loadScoringDecoder(summary);
    try {
      const scorer = new ModelScorer(model);
      const result = await scoreMultipleChoice(
        scorer,
        { encode: (s) => tokenizer.encode(s), eotId: findSpecials(tokenizer).eot?.id },
        items,
        { delimiter: spec.delimiter },
      );
      const base = await checkpointColumns(summary, config);
      const sink = new ResultSink(io.out);
      const seconds = (performance.now() - t0) / 1000;
      const task = `mc/${spec.name}`;
      for (const [metric, value] of [["accuracy", result.acc], ["accuracy_norm", result.accNorm]] as const) {
        sink.push({
          ...base,
          seed: base.pretrain_seed,
          task,
          examples: result.n,
          metric,
          value,
          policy: "",
          truncated_items: result.truncated,
          eval_seconds: seconds,
        });
      }
      for (const [metric, pick] of [["accuracy", "pred"], ["accuracy_norm", "predNorm"]] as const) {
        sink.addExamples(
          { task, seed: base.pretrain_seed, metric },
          result.examples.map((e) => ({ prediction: e[pick] === e.gold ? 1 : 0, label: 1 })),
        );
      }
      await sink.flush();
      io.progress.say(
        `mc/${spec.name} (${result.n} items${headless ? ", E^T head" : ""}): acc ${(100 * result.acc).toFixed(2)}, ` +
          `acc_norm ${(100 * result.accNorm).toFixed(2)} (${seconds.toFixed(1)} s)`,
      );
      if (result.truncated > 0) io.progress.say(truncationLine(result, scorer.window));
      return {
        items: result.n,
        window: scorer.window,
        truncatedItems: result.truncated,
        partlyScoredItems: result.partlyScored,
        headless,
      };
    } finally {
      model.dispose();
    }
  },
};
