/**
 * The hierarchical bootstrap behind every interval of the reports. A score is measured on cells (an arm at
 * a budget fraction: e.g. CWT encoders at 100%); a cell's score is the mean over its pretraining seeds of
 * the mean over each one's fine-tuning seeds of the mean over its components (one task split and metric, or
 * several for an average such as GLUE's or XNLI's) of the metric on the component's examples.
 *
 * One bootstrap resample draws, with replacement, (1) the pretraining seeds, (2) for each drawn one its
 * fine-tuning seeds, (3) for each component the examples, as positions into the component's examples. The
 * draws are shared by every cell of a study that has the same seeds (the same list of pretraining seeds;
 * at a slot, the same list of fine-tuning seeds) and by every cell scoring a component (its examples are
 * drawn by stable id), so two arms are paired by seed and by example and one arm's checkpoints along a
 * curve are too; cells whose seed lists differ are drawn independently. Examples are crossed with seeds,
 * not nested in them (one test set, scored by every model). A component with no examples keeps its
 * measured value on every resample; only its seeds vary, and a cell with no examples and fewer than three
 * replicates gets no interval at all.
 */
import { pearson } from "../evals/metrics.ts";
import { Rng } from "../util/rng.ts";
import { DEFAULT_RESAMPLES, resampleIndices } from "./bootstrap.ts";
import {
  type ExampleMetric,
  exampleMetric,
  type ExampleOutputs,
  metricColumns,
  type SummedMetric,
  summedMetric,
} from "./example_metric.ts";

/** Replicates a cell with no per-example outputs needs before its seeds alone give an interval. */
export const MIN_REPLICATES = 3;

/** One scored example (NaN where its outputs have no such column). */
export interface ExampleRecord {
  id: string;
  prediction: number;
  label: number;
  loglik: number;
  count: number;
}

/** One component of one replicate: its metric, its measured value, and the examples behind it. */
export interface ComponentMeasure {
  /** What it measures (task, setup, language, split, metric): the same name pairs examples across cells. */
  component: string;
  metric: string;
  value: number;
  /** Absent when the stage wrote none, or when the metric cannot be recomputed from them. */
  examples?: readonly ExampleRecord[];
}

/** One (pretraining seed, fine-tuning seed) of a cell. */
export interface Replicate {
  pretrainSeed: number;
  seed: number;
  components: readonly ComponentMeasure[];
}

/** What is scored: an arm at a fraction, as its replicates. */
export interface Cell {
  replicates: readonly Replicate[];
}

/** Which seeds and examples one resample takes (positions into sorted seed lists and example lists). */
export interface Draw {
  pretrain(signature: string, n: number): Int32Array;
  finetune(slot: number, signature: string, n: number): Int32Array;
  examples(component: string, n: number): Int32Array;
}

const ranges = new Map<number, Int32Array>();
function range(n: number): Int32Array {
  if (!ranges.has(n)) ranges.set(n, Int32Array.from({ length: n }, (_, i) => i));
  return ranges.get(n)!;
}

/** The draw that takes every seed and example once: the point estimate. */
export const IDENTITY: Draw = {
  pretrain: (_s, n) => range(n),
  finetune: (_slot, _s, n) => range(n),
  examples: (_c, n) => range(n),
};

/** A random draw, made lazily and kept per signature so that every cell asking for the same one shares it. */
export function randomDraw(rng: Rng): Draw {
  const made = new Map<string, Int32Array>();
  const get = (key: string, n: number) => {
    if (!made.has(key)) made.set(key, resampleIndices(n, rng));
    return made.get(key)!;
  };
  return {
    pretrain: (s, n) => get(`p\u0000${s}`, n),
    finetune: (slot, s, n) => get(`f\u0000${slot}\u0000${s}`, n),
    examples: (c, n) => get(`e\u0000${c}`, n),
  };
}

/** The four outputs of examples, as columns. */
type Columns = Record<keyof ExampleOutputs, Float64Array>;

const COLUMN_NAMES = ["prediction", "label", "loglik", "count"] as const;

interface PreparedComponent {
  key: string;
  value: number;
  /** Set when the examples are used: the metric, and the component's examples as columns by id. */
  examples?: {
    metric: ExampleMetric;
    /** The columns the metric reads (the others are not gathered). */
    reads: readonly (keyof ExampleOutputs)[];
    /** Number of ids of the component (across the study's cells): what a draw resamples. */
    ids: number;
    /** Per id: 1 when this cell has the example. */
    present: Uint8Array;
    /** Per id: its outputs (0 where absent). */
    byId: Columns;
    /** Buffers a resample's outputs are gathered into, reused from one resample to the next. */
    drawn: Columns;
    /** For a metric of two sums whose outputs are all finite: each id's two terms (absent ids: 0, 0). */
    summed?: { metric: SummedMetric; top: Float64Array; bottom: Float64Array };
    /** For Spearman with all outputs finite: each id's prediction and label as ranks among their distinct values. */
    ranked?: { prediction: DistinctValues; label: DistinctValues };
  };
}

/** A column's values as indices into its sorted distinct values, with a count buffer per distinct value. */
interface DistinctValues {
  index: Int32Array;
  counts: Int32Array;
  /** Average rank of each distinct value in the current resample. */
  ranks: Float64Array;
}

function distinctValues(column: Float64Array, present: Uint8Array): DistinctValues {
  const sorted = [...new Set(column.filter((_, j) => present[j] === 1))].sort((a, b) => a - b);
  const at = new Map(sorted.map((v, d) => [v, d]));
  const index = Int32Array.from(column, (v, j) => (present[j] ? at.get(v)! : -1));
  return { index, counts: new Int32Array(sorted.length), ranks: new Float64Array(sorted.length) };
}

/**
 * Average ranks of the drawn values from counts: a value drawn `c` times after `start` smaller ones spans the
 * 1-based ranks start+1 … start+c and gets their mean, as averageRanks (evals/metrics.ts) gives it.
 */
function rankDrawn(v: DistinctValues, positions: Int32Array, present: Uint8Array, out: Float64Array): void {
  v.counts.fill(0);
  for (let i = 0; i < positions.length; i++) if (present[positions[i]]) v.counts[v.index[positions[i]]]++;
  let start = 0;
  for (let d = 0; d < v.counts.length; d++) {
    const end = start + v.counts[d];
    v.ranks[d] = (start + 1 + end) / 2;
    start = end;
  }
  let k = 0;
  for (let i = 0; i < positions.length; i++) if (present[positions[i]]) out[k++] = v.ranks[v.index[positions[i]]];
}

/** Each present id's two terms of a summed metric. */
function termsOf(metric: SummedMetric, byId: Columns, present: Uint8Array) {
  const top = new Float64Array(present.length);
  const bottom = new Float64Array(present.length);
  for (let j = 0; j < present.length; j++) {
    if (!present[j]) continue;
    [top[j], bottom[j]] = metric.terms(byId.prediction[j], byId.label[j], byId.loglik[j], byId.count[j]);
  }
  return { top, bottom };
}

const columns = (n: number): Columns => ({
  prediction: new Float64Array(n),
  label: new Float64Array(n),
  loglik: new Float64Array(n),
  count: new Float64Array(n),
});

interface PreparedCell {
  pretrainSeeds: number[];
  signature: string;
  finetune: Map<number, { signature: string; replicates: PreparedComponent[][] }>;
}

/** The cells of one comparison or curve, sharing their draws (see the module comment). */
export class Study {
  readonly #ids = new Map<string, string[]>();
  readonly #cells: PreparedCell[];

  constructor(readonly cells: readonly Cell[]) {
    const idSets = new Map<string, Set<string>>();
    for (const cell of cells) {
      for (const r of cell.replicates) {
        for (const c of r.components) {
          if (!c.examples || !exampleMetric(c.metric)) continue;
          if (!idSets.has(c.component)) idSets.set(c.component, new Set());
          for (const e of c.examples) idSets.get(c.component)!.add(e.id);
        }
      }
    }
    for (const [k, ids] of idSets) this.#ids.set(k, [...ids].sort());
    this.#cells = cells.map((cell) => this.#prepare(cell));
  }

  #prepare(cell: Cell): PreparedCell {
    if (cell.replicates.length === 0) throw new Error("Study: a cell with no replicates");
    const pretrainSeeds = [...new Set(cell.replicates.map((r) => r.pretrainSeed))].sort((a, b) => a - b);
    const finetune = new Map<number, { signature: string; replicates: PreparedComponent[][] }>();
    for (const p of pretrainSeeds) {
      const mine = cell.replicates.filter((r) => r.pretrainSeed === p).sort((a, b) => a.seed - b.seed);
      finetune.set(p, {
        signature: mine.map((r) => r.seed).join(","),
        replicates: mine.map((r) => r.components.map((c) => this.#prepareComponent(c))),
      });
    }
    return { pretrainSeeds, signature: pretrainSeeds.join(","), finetune };
  }

  #prepareComponent(c: ComponentMeasure): PreparedComponent {
    const metric = exampleMetric(c.metric);
    const ids = this.#ids.get(c.component);
    if (!c.examples || !metric || !ids) return { key: c.component, value: c.value };
    const position = new Map(c.examples.map((e, i) => [e.id, i]));
    const present = new Uint8Array(ids.length);
    const byId = columns(ids.length);
    ids.forEach((id, j) => {
      const at = position.get(id);
      if (at === undefined) return;
      const e = c.examples![at];
      present[j] = 1;
      for (const name of COLUMN_NAMES) byId[name][j] = e[name];
    });
    const reads = metricColumns(c.metric);
    const summed = summedMetric(c.metric);
    const finite = reads.every((name) => byId[name].every(Number.isFinite));
    return {
      key: c.component,
      value: c.value,
      examples: {
        metric,
        reads,
        ids: ids.length,
        present,
        byId,
        drawn: columns(ids.length),
        ...(summed && finite ? { summed: { metric: summed, ...termsOf(summed, byId, present) } } : {}),
        ...(c.metric === "spearman" && finite
          ? {
            ranked: {
              prediction: distinctValues(byId.prediction, present),
              label: distinctValues(byId.label, present),
            },
          }
          : {}),
      },
    };
  }

  // A bootstrap resample gathers every example of every component, so this loop is the report's hot
  // path: typed columns by id, buffers reused, and only the columns the metric reads.
  #component(c: PreparedComponent, draw: Draw): number {
    const x = c.examples;
    if (!x) return c.value;
    const positions = draw.examples(c.key, x.ids);
    if (x.summed) {
      const { top, bottom } = x.summed;
      let a = 0, b = 0, m = 0;
      for (let i = 0; i < positions.length; i++) {
        const j = positions[i];
        if (!x.present[j]) continue;
        a += top[j];
        b += bottom[j];
        m++;
      }
      // With no example drawn the gathered path below gives the metric's own answer (an error or NaN).
      if (m > 0) return x.summed.metric.finish(a, b);
    }
    let m = 0;
    for (let i = 0; i < positions.length; i++) if (x.present[positions[i]]) m++;
    if (x.ranked && m > 0) {
      // Spearman is the Pearson correlation of average ranks; counting the drawn values ranks them
      // without sorting (the same ranks, so the same bits).
      rankDrawn(x.ranked.prediction, positions, x.present, x.drawn.prediction);
      rankDrawn(x.ranked.label, positions, x.present, x.drawn.label);
      return pearson(x.drawn.prediction.subarray(0, m), x.drawn.label.subarray(0, m));
    }
    for (const name of x.reads) {
      const from = x.byId[name];
      const to = x.drawn[name];
      let k = 0;
      for (let i = 0; i < positions.length; i++) {
        const j = positions[i];
        if (x.present[j]) to[k++] = from[j];
      }
    }
    // A column the metric does not read stays empty, so reading it anyway fails loudly (lengths differ).
    const out = columns(0);
    for (const name of x.reads) out[name] = x.drawn[name].subarray(0, m);
    return x.metric(out);
  }

  /** The score of cell `i` under `draw` (see the module comment). */
  score(i: number, draw: Draw = IDENTITY): number {
    const cell = this.#cells[i];
    const seeds = draw.pretrain(cell.signature, cell.pretrainSeeds.length);
    let total = 0;
    seeds.forEach((position, slot) => {
      const ft = cell.finetune.get(cell.pretrainSeeds[position])!;
      const picks = draw.finetune(slot, ft.signature, ft.replicates.length);
      let inner = 0;
      for (const k of picks) {
        const components = ft.replicates[k];
        inner += components.reduce((a, c) => a + this.#component(c, draw), 0) / components.length;
      }
      total += inner / picks.length;
    });
    return total / seeds.length;
  }

  /** `f` of `resamples` seeded random draws. */
  resample<T>(f: (draw: Draw) => T, options: { resamples?: number; seed?: number } = {}): T[] {
    const rng = new Rng(options.seed ?? 0);
    return Array.from({ length: options.resamples ?? DEFAULT_RESAMPLES }, () => f(randomDraw(rng)));
  }

  /**
   * True when cell `i` can be resampled into an interval: it has per-example outputs of at least
   * {@link MIN_REPLICATES} examples, or at least {@link MIN_REPLICATES} replicates (resampling one or two
   * values gives their range, not an interval).
   */
  varies(i: number): boolean {
    const finetune = [...this.#cells[i].finetune.values()];
    return finetune.some((f) => f.replicates.some((r) => r.some((c) => (c.examples?.ids ?? 0) >= MIN_REPLICATES))) ||
      finetune.reduce((n, f) => n + f.replicates.length, 0) >= MIN_REPLICATES;
  }

  /** What cell `i` resamples, as words: "2 pretraining seeds × 3 fine-tuning seeds × 277 examples". */
  describe(i: number): string {
    const cell = this.#cells[i];
    const ft = Math.max(...[...cell.finetune.values()].map((f) => f.replicates.length));
    const withExamples = [...cell.finetune.values()][0].replicates[0].filter((c) => c.examples);
    const examples = withExamples.reduce((n, c) => n + c.examples!.ids, 0);
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
    return [
      plural(cell.pretrainSeeds.length, "pretraining seed"),
      plural(ft, "fine-tuning seed"),
      withExamples.length ? plural(examples, "example") : "no per-example outputs",
    ].join(" × ");
  }
}
