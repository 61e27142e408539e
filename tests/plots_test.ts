/** Offline SVG plots: well-formed XML, one series per (arch, objective), axis titles, error bars, log axes, distinct ticks. */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { XMLValidator } from "fast-xml-parser";
import { distinctFormat, logTicks, lossCurvePlots, metricPlots, renderSvg } from "../reports/plots.ts";
import { measurementKey, type ResultRow } from "../results/rows.ts";
import type { TimingRow } from "../results/timings.ts";
import { summarize } from "../reports/summary.ts";
import type { TrainingLog } from "../reports/training_log.ts";

/** Texts of the legend labels, in order. */
function legendLabels(svg: string): string[] {
  return [...svg.matchAll(/class="mark-text role-legend-label"[^>]*>(.*?)<\/g>/g)]
    .flatMap((m) => [...m[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]));
}
const count = (svg: string, needle: string) => svg.split(needle).length - 1;

/** Texts of the tick labels of the axis titled `title`. */
function tickLabels(svg: string, title: string): string[] {
  const axis = svg.split('aria-roledescription="axis"').find((a) => a.includes(`>${title}</text>`));
  if (!axis) throw new Error(`no axis titled ${title}`);
  const labels = axis.split('class="mark-text role-axis-label"')[1].split("</g>")[0];
  return [...labels.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

function rows(): ResultRow[] {
  const out: ResultRow[] = [];
  for (const objective of ["softmax", "cwt"]) {
    for (const seed of [0, 1]) {
      for (const fraction of [0.125, 0.25, 0.5, 1]) {
        out.push({
          model: "enc-small",
          arch: "encoder",
          objective,
          design: "",
          pretrain_seed: 0,
          seed,
          fraction,
          flops: 8e13 * fraction,
          tokens: 1e8 * fraction,
          task: "cola",
          setup: "",
          lang: "",
          split: "dev",
          examples: 1043,
          metric: "mcc",
          value: 0.3 + 0.2 * fraction + 0.01 * seed + (objective === "cwt" ? 0.05 : 0),
          policy: "best-epoch",
          backend: "wasm",
        });
      }
    }
  }
  // A single-seed series: no error bars for it.
  out.push({ ...out[0], arch: "decoder", model: "dec-small", seed: 5 });
  return out;
}

/** Timings of the rows: a 10-hour run's wall-clock at each fraction. */
const timings = (rs: ResultRow[]) =>
  new Map(rs.map((r): [string, TimingRow] => [
    measurementKey(r),
    { ...r, pretrain_seconds: 36000 * r.fraction, eval_seconds: 1, checkpoint: "" },
  ]));

Deno.test("XML check used below rejects broken SVG (so it can fail)", () => {
  assertEquals(XMLValidator.validate("<svg><g></svg>") === true, false);
  assertEquals(XMLValidator.validate('<svg a="1"><g/></svg>'), true);
});

Deno.test("metric vs FLOPs: well-formed SVG, log x, one line and legend entry per (arch, objective), error bars", async () => {
  const [plot] = metricPlots(summarize(rows()), "flops");
  assertEquals(plot.file, "flops-cola-mcc-best-epoch.svg");
  assertEquals(metricPlots(summarize(rows()), "wall_seconds"), [], "no timings: no wall-clock plot");
  const svg = await renderSvg(plot.spec);
  assertEquals(XMLValidator.validate(svg), true);
  assert(svg.startsWith("<svg"), "starts with <svg");
  assertEquals(legendLabels(svg).sort(), ["decoder softmax", "encoder cwt", "encoder softmax"]);
  assertEquals(count(svg, 'aria-roledescription="line mark"'), 3);
  assertStringIncludes(svg, ">pretraining FLOPs (log scale)</text>");
  assertStringIncludes(svg, ">cola mcc (×100)</text>");
  assertStringIncludes(svg, "X-axis titled 'pretraining FLOPs (log scale)' for a log scale");
  // 8 points with two seeds get a bar; the single-seed decoder point does not.
  assertEquals(count(svg, 'aria-roledescription="rule mark"'), 8);
  assertEquals(count(svg, 'aria-roledescription="point"'), 9);
});

Deno.test("metric vs wall-clock: x in hours for a 10-hour run, linear scale", async () => {
  const rs = rows();
  const [plot] = metricPlots(summarize(rs, timings(rs)), "wall_seconds");
  assertEquals(plot.file, "wall-cola-mcc-best-epoch.svg");
  const svg = await renderSvg(plot.spec);
  assertEquals(XMLValidator.validate(svg), true);
  // 1.25 h to 10 h spans less than a decade... 10 / 1.25 = 8: linear.
  assertStringIncludes(svg, "X-axis titled 'pretraining wall-clock (h)' for a linear scale");
  assertEquals(legendLabels(svg).length, 3);
});

Deno.test("loss curves: one plot per arch, a colour per (arch, objective), a line per seed, NaN losses dropped", async () => {
  const log = (objective: string, seed: number, arch = "encoder"): TrainingLog => ({
    file: `${objective}-${seed}/train_log.csv`,
    arch,
    objective,
    seed,
    rows: Array.from({ length: 50 }, (_, i) => ({
      step: (i + 1) * 10,
      tokens: (i + 1) * 20480,
      flops: (i + 1) * 1e12,
      seconds: i + 1,
      loss: i === 7 ? NaN : 9 / (1 + i / 10),
      extra: {},
    })),
  });
  const plots = lossCurvePlots([
    log("softmax", 0),
    log("softmax", 1),
    log("cwt", 0),
    log("cwt", 1),
    log("cwt", 0, "decoder"),
  ]);
  assertEquals(plots.map((p) => p.file), ["loss-decoder.svg", "loss-encoder.svg"]);
  const data = (plots[1].spec.data as { values: unknown[] }).values;
  assertEquals(data.length, 4 * 49);
  const svg = await renderSvg(plots[1].spec);
  assertEquals(XMLValidator.validate(svg), true);
  assertEquals(legendLabels(svg).sort(), ["encoder cwt", "encoder softmax"]);
  assertEquals(count(svg, 'aria-roledescription="line mark"'), 4);
  assertStringIncludes(svg, ">training loss</text>");
  assertStringIncludes(svg, ">pretraining FLOPs (log scale)</text>");
});

Deno.test("log ticks: 1-2-5 steps inside the range, else the data's values; labels printed with just enough digits", () => {
  assertEquals(logTicks([3e12, 8e13]), [5e12, 1e13, 2e13, 5e13]);
  // 3.4e12 to 8.3e12 holds only 5e12 of the 1-2-5 steps: the data's own values, printed distinctly.
  const ticks = logTicks([3.38e12, 4.2e12, 6.77e12, 8.3e12]);
  assertEquals(ticks, [3.38e12, 4.2e12, 6.77e12, 8.3e12]);
  assertEquals(distinctFormat(ticks), ".0e"); // 3e+12 4e+12 7e+12 8e+12
  assertEquals(distinctFormat([3.38e12, 3.5e12, 4.2e12]), ".1e"); // 3e+12 twice at .0e
  assertEquals(distinctFormat([1e9, 1e10]), ".0e");
  assertEquals(distinctFormat([3.41e12, 3.44e12]), ".2e");
  assertEquals(logTicks(Array.from({ length: 20 }, (_, i) => 1e9 * 1.3 ** i)).length <= 6, true);
});

Deno.test("rendered axes: no repeated tick label on a narrow FLOPs range; perplexity over decades on a log y", async () => {
  // The old failure: checkpoints between 3.4e12 and 8.3e12 FLOPs labelled ".0e" gave 3e+12 3e+12 4e+12 ...
  const narrow = rows().filter((r) => r.arch === "encoder").map((r) => ({
    ...r,
    flops: 3.38e12 + 4.92e12 * r.fraction,
  }));
  const [plot] = metricPlots(summarize(narrow), "flops");
  const svg = await renderSvg(plot.spec);
  const labels = tickLabels(svg, "pretraining FLOPs (log scale)");
  assert(labels.length >= 2, labels.join(" "));
  assertEquals(new Set(labels).size, labels.length, `repeated tick labels: ${labels.join(" ")}`);
  // Perplexity from 7e7 to 1.8e10: a log y axis, its labels distinct too.
  const ppl = rows().filter((r) => r.arch === "encoder").map((r) => ({
    ...r,
    task: "lambada_openai",
    metric: "perplexity",
    policy: "",
    value: 7e7 * 16 ** (4 * (1 - r.fraction)),
  }));
  const [p] = metricPlots(summarize(ppl), "flops");
  const pplSvg = await renderSvg(p.spec);
  assertStringIncludes(pplSvg, "Y-axis titled 'lambada_openai perplexity (log scale)' for a log scale");
  const y = tickLabels(pplSvg, "lambada_openai perplexity (log scale)");
  assertEquals(new Set(y).size, y.length, y.join(" "));
});
