/**
 * SVG plots rendered offline (no browser, no canvas, no network): metric vs pretraining FLOPs (log x),
 * metric vs pretraining wall-clock, and training loss vs FLOPs per run. Specs are Vega-Lite, compiled
 * with vega-lite and drawn by vega's headless View (`renderer: "none"`, then `toSVG()`), which needs no
 * canvas: text widths are estimated, which only affects label placement.
 *
 * Axes: an axis is logarithmic where its values span more than a decade (and perplexity always is); a log
 * axis gets explicit ticks (1, 2, 5 × 10^k inside the data's range, or the data's own values when fewer
 * than two of those fall inside it) printed with just enough digits that no two labels are the same.
 *
 * Measured under Deno 2.9.6 on this machine: vega 6.4.0 + vega-lite 6.5.0 render a two-series plot in
 * ~0.45 s for the first plot (module load included) and a few ms for the next ones.
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { TrainingLog } from "./training_log.ts";
import { displayScale, type SummaryRow } from "./summary.ts";

/** How the plots were drawn, for the report header. */
export const PLOT_RENDERER = "vega 6.4.0 + vega-lite 6.5.0, headless View (renderer none) → SVG";

/** A plot to render: the file stem, title, a caption for the report, and its Vega-Lite spec. */
export interface Plot {
  /** File name without folder, e.g. "flops-glue-paper_avg.svg". */
  file: string;
  title: string;
  caption: string;
  spec: Record<string, unknown>;
}

/** Metric plots can be drawn against pretraining FLOPs or wall-clock. */
export type PlotAxis = "flops" | "wall_seconds";

/** Label of a series: one per (arch, objective, design). */
export function seriesLabel(arch: string, objective: string, design = ""): string {
  return `${arch} ${objective}${design ? ` (${design})` : ""}`;
}

/** A file-name-safe stem. */
export function fileStem(parts: string[]): string {
  return parts.filter((p) => p !== "").join("-").toLowerCase().replace(/[^a-z0-9_.-]+/g, "_");
}

/** Wall-clock unit by the largest value: hours from 2 h, minutes from 2 min, else seconds. */
const TIME_UNITS: readonly { from: number; unit: string; seconds: number }[] = [
  { from: 7200, unit: "h", seconds: 3600 },
  { from: 120, unit: "min", seconds: 60 },
  { from: 0, unit: "s", seconds: 1 },
];

function timeUnit(maxSeconds: number) {
  return TIME_UNITS.find((u) => maxSeconds >= u.from) ?? TIME_UNITS.at(-1)!;
}

const WIDTH = 420, HEIGHT = 260;

/** More than a decade between the smallest and largest positive value. */
export function spansDecades(values: readonly number[]): boolean {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  return positive.length === values.length && positive.length > 1 &&
    Math.max(...positive) / Math.min(...positive) > 10;
}

/** Tick values for a log axis over `values` (see the module comment), at most `max` of them. */
export function logTicks(values: readonly number[], max = 6): number[] {
  const lo = Math.min(...values), hi = Math.max(...values);
  const nice: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of [1, 2, 5]) {
      const v = Number((m * 10 ** k).toPrecision(1));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) nice.push(v);
    }
  }
  const ticks = nice.length >= 2 ? nice : [...new Set(values)].sort((a, b) => a - b);
  if (ticks.length <= max) return ticks;
  const step = (ticks.length - 1) / (max - 1);
  return [...new Set(Array.from({ length: max }, (_, i) => ticks[Math.round(i * step)]))];
}

/** The d3 format with the fewest digits (".0e", ".1e", …) that prints every tick differently. */
export function distinctFormat(ticks: readonly number[]): string {
  for (let digits = 0; digits < 6; digits++) {
    if (new Set(ticks.map((t) => t.toExponential(digits))).size === ticks.length) return `.${digits}e`;
  }
  return ".6e";
}

/** A Vega-Lite position encoding of field `field`: log with explicit distinct ticks when `log`. */
function axisEncoding(field: string, title: string, values: readonly number[], log: boolean) {
  if (!log || values.length === 0) return { field, type: "quantitative", title, scale: { zero: false } };
  const ticks = logTicks(values);
  return {
    field,
    type: "quantitative",
    title: `${title} (log scale)`,
    scale: { type: "log", nice: false, padding: 12 },
    axis: { values: ticks, format: distinctFormat(ticks) },
  };
}

/**
 * One plot per (task, metric, policy) of `summary`: the seed mean at each budget fraction against the
 * checkpoint's FLOPs (log x) or wall-clock, a line per (arch, objective), error bars ± 1 sample std
 * where there are at least two seeds.
 */
export function metricPlots(summary: readonly SummaryRow[], axis: PlotAxis): Plot[] {
  const groups = new Map<string, SummaryRow[]>();
  for (const s of summary) {
    const k = [s.task, s.setup, s.lang, s.split, s.metric, s.policy].join("\u0000");
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  return [...groups.values()].flatMap((all) => {
    const g = all.filter((s) => (axis === "flops" ? s.flops > 0 : s.wall_seconds > 0));
    if (g.length === 0) return [];
    const { task, setup, lang, split, metric, policy } = g[0];
    const name = [task, setup, lang, metric].filter(Boolean).join(" ");
    const scale = displayScale(metric);
    const unit = timeUnit(Math.max(...g.map((s) => s.wall_seconds)));
    const xOf = (s: SummaryRow) => (axis === "flops" ? s.flops : s.wall_seconds / unit.seconds);
    const values = g.map((s) => ({
      x: xOf(s),
      y: s.mean * scale,
      lo: Number.isNaN(s.std) ? null : (s.mean - s.std) * scale,
      hi: Number.isNaN(s.std) ? null : (s.mean + s.std) * scale,
      n: s.n,
      fraction: s.fraction,
      series: seriesLabel(s.arch, s.objective, s.design),
    }));
    const logY = metric === "perplexity" || spansDecades(values.map((v) => v.y));
    if (logY) { for (const v of values) if (!(v.lo !== null && v.lo > 0)) [v.lo, v.hi] = [null, null]; }
    const yTitle = `${name}${scale !== 1 ? " (×100)" : ""}`;
    const x = axis === "flops" ? axisEncoding("x", "pretraining FLOPs", values.map((v) => v.x), true) : axisEncoding(
      "x",
      `pretraining wall-clock (${unit.unit})`,
      values.map((v) => v.x),
      spansDecades(values.map((v) => v.x)),
    );
    const y = axisEncoding("y", yTitle, values.map((v) => v.y), logY);
    const color = { field: "series", type: "nominal", title: "arch objective" };
    const title = `${name}${split ? ` (${split})` : ""}${policy ? ` ${policy}` : ""} vs ${
      axis === "flops" ? "FLOPs" : "wall-clock"
    }`;
    return [{
      file: `${fileStem([axis === "flops" ? "flops" : "wall", task, setup, lang, metric, policy])}.svg`,
      title,
      caption:
        `Mean over seeds at each budget fraction; bars ± 1 sample std (two seeds or more). x: the checkpoint's ` +
        (axis === "flops"
          ? "pretraining FLOPs, log scale."
          : `pretraining wall-clock in ${unit.unit}, as measured on the run's backend.`) +
        (logY ? " y: log scale." : ""),
      spec: {
        title,
        width: WIDTH,
        height: HEIGHT,
        data: { values },
        layer: [
          { mark: { type: "line", point: true }, encoding: { x, y, color } },
          {
            transform: [{ filter: "datum.lo !== null" }],
            mark: "rule",
            encoding: { x, y: { ...y, field: "lo", title: undefined }, y2: { field: "hi" }, color },
          },
        ],
      },
    }];
  });
}

/** At most this many points per run in a loss curve (every k-th row is kept, and always the last). */
const MAX_POINTS_PER_RUN = 400;

function thin<T>(rows: readonly T[], max: number): T[] {
  if (rows.length <= max) return [...rows];
  const stride = Math.ceil(rows.length / max);
  return rows.filter((_, i) => i % stride === 0 || i === rows.length - 1);
}

/**
 * One loss-curve plot per arch: training loss against FLOPs (log x), a colour per (arch, objective), a
 * line per seed. Softmax cross-entropy and the CWT loss are different quantities: compare shapes.
 */
export function lossCurvePlots(logs: readonly TrainingLog[]): Plot[] {
  const archs = [...new Set(logs.map((l) => l.arch))].sort();
  return archs.map((arch) => {
    const values = logs.filter((l) => l.arch === arch).flatMap((log) =>
      thin(log.rows.filter((r) => Number.isFinite(r.loss) && r.flops > 0), MAX_POINTS_PER_RUN).map((r) => ({
        x: r.flops,
        y: r.loss,
        series: seriesLabel(log.arch, log.objective),
        seed: log.seed,
      }))
    );
    const title = `${arch}: training loss vs FLOPs`;
    return {
      file: `${fileStem(["loss", arch])}.svg`,
      title,
      caption: "Training loss (mean over the steps between log rows) against FLOPs spent, one line per run (seed). " +
        "Softmax cross-entropy and the CWT contrastive loss are different quantities: compare shapes, not levels.",
      spec: {
        title,
        width: WIDTH,
        height: HEIGHT,
        data: { values },
        mark: { type: "line", strokeWidth: 1.5 },
        encoding: {
          x: axisEncoding("x", "pretraining FLOPs", values.map((v) => v.x), true),
          y: axisEncoding("y", "training loss", values.map((v) => v.y), false),
          color: { field: "series", type: "nominal", title: "arch objective" },
          detail: { field: "seed", type: "nominal" },
        },
      },
    };
  });
}

/** Renders a Vega-Lite spec to SVG text, offline. */
export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const compiled = compile(spec as unknown as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled as vega.Spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
