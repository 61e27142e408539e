/** Offline SVG plots: well-formed XML, one series per (arch, objective), axis titles, error bars, log x. */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { XMLValidator } from "fast-xml-parser";
import { lossCurvePlots, metricPlots, renderSvg } from "../reports/plots.ts";
import type { ResultRow, TrainingLog } from "../reports/rows.ts";
import { summarize } from "../reports/summary.ts";

/** Texts of the legend labels, in order. */
function legendLabels(svg: string): string[] {
  return [...svg.matchAll(/class="mark-text role-legend-label"[^>]*>(.*?)<\/g>/g)]
    .flatMap((m) => [...m[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]));
}
const count = (svg: string, needle: string) => svg.split(needle).length - 1;

function rows(): ResultRow[] {
  const out: ResultRow[] = [];
  for (const objective of ["softmax", "cwt"]) {
    for (const seed of [0, 1]) {
      for (const fraction of [0.125, 0.25, 0.5, 1]) {
        out.push({
          arch: "encoder",
          objective,
          seed,
          fraction,
          flops: 8e13 * fraction,
          tokens: 1e8 * fraction,
          wall_seconds: 36000 * fraction,
          backend: "wasm",
          task: "cola",
          metric: "mcc",
          value: 0.3 + 0.2 * fraction + 0.01 * seed + (objective === "cwt" ? 0.05 : 0),
          policy: "best-epoch",
        });
      }
    }
  }
  // A single-seed series: no error bars for it.
  out.push({ ...out[0], arch: "decoder", seed: 5 });
  return out;
}

Deno.test("XML check used below rejects broken SVG (so it can fail)", () => {
  assertEquals(XMLValidator.validate("<svg><g></svg>") === true, false);
  assertEquals(XMLValidator.validate('<svg a="1"><g/></svg>'), true);
});

Deno.test("metric vs FLOPs: well-formed SVG, log x, one line and legend entry per (arch, objective), error bars", async () => {
  const [plot] = metricPlots(summarize(rows()), "flops");
  assertEquals(plot.file, "flops-cola-mcc-best-epoch.svg");
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
  const [plot] = metricPlots(summarize(rows()), "wall_seconds");
  assertEquals(plot.file, "wall-cola-mcc-best-epoch.svg");
  const svg = await renderSvg(plot.spec);
  assertEquals(XMLValidator.validate(svg), true);
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
