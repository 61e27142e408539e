/** The plan as text: per pretraining run its model, FLOP budget, tokens and steps, and the totals. */
import { formatDuration } from "../util/format.ts";
import { type PlannedRun, runLabel } from "./plan.ts";
import type { Profile } from "./profile.ts";

const sci = (x: number) => x.toExponential(3);

/** A table of the runs with budgets and a time estimate at the profile's pretraining speed. */
export function formatPlan(profile: Profile, runs: readonly PlannedRun[]): string {
  const rows = [["run", "model", "budget FLOPs", "FLOPs/token", "tokens", "steps", "est. time"]];
  let total = 0;
  for (const r of runs) {
    total += r.budgetFlops;
    rows.push([
      runLabel(r),
      `${r.config.name} (L${r.config.layers} d${r.config.dModel} V${r.config.vocabSize} T${r.settings.seqLen} B${r.settings.batch}x${r.settings.accum})`,
      sci(r.budgetFlops),
      sci(r.flopsPerToken),
      sci(r.tokens),
      String(r.steps),
      formatDuration(r.budgetFlops / profile.speed.pretrainFlopsPerSecond),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  const fr = profile.pretrain.fractions.join(", ");
  const m = profile.multilingual;
  lines.push(
    `total pretraining budget: ${sci(total)} FLOPs (${
      formatDuration(total / profile.speed.pretrainFlopsPerSecond)
    } at ` +
      `${sci(profile.speed.pretrainFlopsPerSecond)} FLOP/s); checkpoints evaluated at budget fractions ${fr}` +
      (m ? `; multilingual (${m.languages.join(" ")}) at ${m.fractions.join(", ")} on XNLI` : ""),
  );
  return lines.join("\n");
}
