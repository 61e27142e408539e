/**
 * Where an evaluation stage puts its numbers: result rows (results/rows.ts), their timings
 * (results/timings.ts) and the per-example outputs behind them (results/examples.ts, contracts 2), kept in
 * memory and rewritten to results.csv, timings.csv and examples.csv after each task, so a failed stage's
 * partial folder still shows what was measured; and seed_summary.csv at the end.
 */
import { join } from "node:path";
import { type ExampleRow, writeExamples } from "../results/examples.ts";
import { writeCsvAtomic } from "../results/csv.ts";
import { measurementKey, RESULT_COLUMNS, type ResultRow, writeResults } from "../results/rows.ts";
import { type TimingRow, writeTimings } from "../results/timings.ts";
import { canonicalMetric } from "../results/vocabulary.ts";
import { meanStd } from "./finetune_glue.ts";

/**
 * A row as a stage hands it over: the result columns (setup, lang, split, design, model and policy may be
 * left out: empty; examples: unknown), the timing columns (`pretrain_seconds`, `eval_seconds`,
 * `checkpoint`), and any other column as a detail (epoch, fine-tuning steps, ...).
 */
export type Row = Record<string, string | number | null | undefined>;

/** Which measurement some examples belong to (examples.csv's columns besides the per-example ones). */
export interface ExampleOf {
  task: string;
  seed: number;
  policy?: string;
  setup?: string;
  lang?: string;
  split?: string;
  /** Empty: the stage's checkpoint; a reference's objective ("majority") otherwise. */
  objective?: string;
  /** Empty: every metric of the measurement. */
  metric?: string;
}

/** One example's outputs (see results/examples.ts for what each holds per kind of task). */
export interface ExampleOutput {
  /** Stable id within the task split (default: the position in the list given). */
  example?: string;
  prediction?: number;
  label?: number;
  loglik?: number;
  count?: number;
}

const TIMING_KEYS = new Set(["pretrain_seconds", "eval_seconds", "checkpoint"]);
const RESULT_KEYS = new Set<string>(RESULT_COLUMNS);

const text = (v: unknown) => (v === undefined || v === null ? "" : String(v));

/** Result rows, timings and examples of one evaluation stage. */
export class ResultSink {
  readonly rows: ResultRow[] = [];
  readonly timings: TimingRow[] = [];
  readonly examples: ExampleRow[] = [];
  /** Lines about values that were not written. */
  readonly notes: string[] = [];
  readonly #timed = new Set<string>();

  constructor(readonly dir: string) {}

  /** Adds a row (see {@link Row}); a non-finite value is noted and left out (results.csv holds finite values only). */
  push(row: Row): void {
    if (typeof row.value !== "number" || !Number.isFinite(row.value)) {
      const note = `${row.task} ${row.setup ?? ""} ${row.lang ?? ""} ${row.metric} seed ${row.seed} is ${row.value}; ` +
        "not written (results.csv holds finite values only)";
      console.error(`note: ${note.replace(/ +/g, " ")}`);
      this.notes.push(note.replace(/ +/g, " "));
      return;
    }
    for (const c of ["arch", "objective", "task", "metric", "seed", "fraction", "flops", "tokens", "pretrain_seed"]) {
      if (row[c] === undefined || row[c] === null || row[c] === "") throw new Error(`ResultSink.push: no ${c} in row`);
    }
    const details = Object.fromEntries(
      Object.entries(row).filter(([k, v]) => !RESULT_KEYS.has(k) && !TIMING_KEYS.has(k) && text(v) !== "").map((
        [k, v],
      ) => [k, text(v)]),
    );
    const result: ResultRow = {
      model: text(row.model),
      arch: text(row.arch),
      objective: text(row.objective),
      design: text(row.design),
      pretrain_seed: Number(row.pretrain_seed),
      seed: Number(row.seed),
      fraction: Number(row.fraction),
      flops: Number(row.flops),
      tokens: Number(row.tokens),
      task: text(row.task),
      setup: text(row.setup),
      lang: text(row.lang),
      split: text(row.split),
      examples: typeof row.examples === "number" ? row.examples : null,
      metric: canonicalMetric(text(row.metric)),
      value: row.value,
      policy: text(row.policy),
      backend: text(row.backend),
      ...(Object.keys(details).length ? { details } : {}),
    };
    this.rows.push(result);
    const key = measurementKey(result);
    if (!this.#timed.has(key)) {
      this.#timed.add(key);
      this.timings.push({
        ...result,
        pretrain_seconds: typeof row.pretrain_seconds === "number" ? row.pretrain_seconds : 0,
        eval_seconds: typeof row.eval_seconds === "number" ? Number(row.eval_seconds.toFixed(3)) : null,
        checkpoint: text(row.checkpoint),
      });
    }
  }

  /** Adds the outputs of the examples of one measurement, in order (contracts 2). */
  addExamples(of: ExampleOf, outputs: readonly ExampleOutput[]): void {
    const num = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : v);
    outputs.forEach((o, i) =>
      this.examples.push({
        task: of.task,
        seed: of.seed,
        policy: of.policy ?? "",
        example: o.example ?? String(i),
        prediction: num(o.prediction),
        label: num(o.label),
        loglik: num(o.loglik),
        count: num(o.count),
        setup: of.setup ?? "",
        lang: of.lang ?? "",
        split: of.split ?? "",
        objective: of.objective ?? "",
        metric: of.metric ?? "",
      })
    );
  }

  /** Rewrites results.csv and timings.csv, and examples.csv when there are examples. */
  async flush(): Promise<void> {
    await writeResults(join(this.dir, "results.csv"), this.rows);
    await writeTimings(join(this.dir, "timings.csv"), this.timings);
    if (this.examples.length) await writeExamples(join(this.dir, "examples.csv"), this.examples);
  }

  /** Mean and std over seeds per objective, task, setup, language, split, metric and policy, as seed_summary.csv. */
  async writeSeedSummary(): Promise<void> {
    const groups = new Map<string, ResultRow[]>();
    for (const r of this.rows) {
      const k = [r.objective, r.task, r.setup, r.lang, r.split, r.metric, r.policy].join("\u0000");
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push(r);
    }
    const summary = [...groups.values()].map((g) => {
      const s = meanStd(g.map((r) => r.value));
      return { ...g[0], n: s.n, mean: s.mean, std: g.length > 1 ? s.std : NaN, seeds: g.map((r) => r.seed).join(" ") };
    });
    await writeCsvAtomic(
      join(this.dir, "seed_summary.csv"),
      ["objective", "task", "setup", "lang", "split", "metric", "policy", "n", "mean", "std", "seeds"],
      summary,
    );
  }
}
