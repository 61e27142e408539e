/**
 * What a report knows about each result: its row, the examples behind it (examples.csv beside its
 * results.csv, contracts 2) and its timing (timings.csv), read from any number of result folders and
 * merged; and rows turned into the cells the statistics resample (stats/hierarchical.ts).
 */
import { dirname, join } from "node:path";
import { type ExampleRow, linkExamples, readExamples } from "../results/examples.ts";
import { mergeResults, type ResultRow, rowIdentity } from "../results/rows.ts";
import { readTimings, timingIndex, type TimingRow } from "../results/timings.ts";
import { exampleMetric } from "../stats/example_metric.ts";
import type { Cell, ComponentMeasure, ExampleRecord } from "../stats/hierarchical.ts";
import { exists } from "../util/fs.ts";

/** Rows with their examples and timings. */
export interface Evidence {
  rows: ResultRow[];
  /** Examples by row identity (results/rows.ts rowIdentity). */
  examples: Map<string, ExampleRow[]>;
  /** Timings by measurement (results/rows.ts measurementKey). */
  timings: Map<string, TimingRow>;
  /** Lines about examples that were set aside. */
  notes: string[];
}

/** A results file and the text it held. */
export interface ResultsInput {
  path: string;
  text: string;
}

/**
 * Reads the evidence of results files: each file's rows, and the examples.csv and timings.csv beside it
 * when there are (an old-layout results.csv carries its own timings). Rows are merged as
 * results/rows.ts mergeResults does.
 */
export async function loadEvidence(inputs: readonly ResultsInput[]): Promise<Evidence> {
  const merged = mergeResults(inputs.map((i) => ({ file: i.path, text: i.text })));
  const examples = new Map<string, ExampleRow[]>();
  const timings: TimingRow[] = [...merged.timings];
  for (const input of inputs) {
    const { rows } = mergeResults([{ file: input.path, text: input.text }]);
    const examplesFile = join(dirname(input.path), "examples.csv");
    if (await exists(examplesFile)) {
      for (const [k, list] of linkExamples(rows, await readExamples(examplesFile), rowIdentity)) {
        if (!examples.has(k)) examples.set(k, list);
      }
    }
    const timingsFile = join(dirname(input.path), "timings.csv");
    if (await exists(timingsFile)) timings.push(...await readTimings(timingsFile));
  }
  return { rows: merged.rows, examples, timings: timingIndex(timings), notes: [] };
}

/** The name of what a row measures, the same for every model: task, setup, language, split and metric. */
export function componentKey(r: Pick<ResultRow, "task" | "setup" | "lang" | "split" | "metric">): string {
  return [r.task, r.setup, r.lang, r.split, r.metric].join("|");
}

const num = (v: number | null) => (v === null ? NaN : v);

/**
 * A row's component for the statistics: its examples when they reproduce its value (a row whose examples
 * give another value keeps its value only, and a note says so).
 */
export function componentOf(r: ResultRow, evidence: Evidence): ComponentMeasure {
  const base = { component: componentKey(r), metric: r.metric, value: r.value };
  const examples = evidence.examples.get(rowIdentity(r));
  const metric = exampleMetric(r.metric);
  if (!examples || !metric) return base;
  const records: ExampleRecord[] = examples.map((e) => ({
    id: `${e.split}:${e.example}`,
    prediction: num(e.prediction),
    label: num(e.label),
    loglik: num(e.loglik),
    count: num(e.count),
  }));
  const column = (k: keyof ExampleRecord) => Float64Array.from(records, (e) => e[k] as number);
  let recomputed: number;
  try {
    recomputed = metric({
      prediction: column("prediction"),
      label: column("label"),
      loglik: column("loglik"),
      count: column("count"),
    });
  } catch {
    recomputed = NaN;
  }
  if (!(Math.abs(recomputed - r.value) <= 1e-6 * Math.max(1, Math.abs(r.value)))) {
    const note = `examples of ${r.objective} ${r.task} ${r.setup} ${r.lang} ${r.split} ${r.metric} seed ` +
      `${r.pretrain_seed}/${r.seed} give ${recomputed}, not its value ${r.value}: interval from seeds only`;
    if (!evidence.notes.includes(note)) evidence.notes.push(note.replace(/ +/g, " "));
    return base;
  }
  return { ...base, examples: records };
}

/** Rows (one arm at one fraction, any components) as a cell: replicates by (pretraining seed, seed). */
export function cellOf(rows: readonly ResultRow[], evidence: Evidence): Cell {
  const replicates = new Map<string, { pretrainSeed: number; seed: number; components: ComponentMeasure[] }>();
  for (const r of rows) {
    const k = `${r.pretrain_seed}/${r.seed}`;
    if (!replicates.has(k)) replicates.set(k, { pretrainSeed: r.pretrain_seed, seed: r.seed, components: [] });
    replicates.get(k)!.components.push(componentOf(r, evidence));
  }
  return { replicates: [...replicates.values()] };
}
