/** The plan as text: per pretraining run its design, model, budget, FLOPs, tokens and steps, and the totals. */
import { describeBudget } from "../train/budget.ts";
import { formatDuration } from "../util/format.ts";
import { type PlannedRun, type RandomInitRun, runLabel } from "./plan.ts";
import type { Profile } from "./profile.ts";

const sci = (x: number) => x.toExponential(3);

const modelText = (r: Pick<PlannedRun, "config" | "settings">) =>
  `${r.config.name} (L${r.config.layers} d${r.config.dModel} V${r.config.vocabSize} T${r.settings.seqLen} B${r.settings.batch}x${r.settings.accum})`;

/**
 * A table of the runs with budgets and a time estimate at the profile's pretraining speed. A seconds
 * budget's FLOPs, tokens and steps are estimates at that speed (marked ~); a headless decoder's budget
 * has its LM fine-tune taken out (marked, with the fine-tune's FLOPs). Random-init references last.
 */
export function formatPlan(
  profile: Profile,
  runs: readonly PlannedRun[],
  references: readonly RandomInitRun[] = [],
  shared: ReadonlyMap<PlannedRun, PlannedRun> = new Map(),
): string {
  const rows = [["run", "design", "model", "budget", "FLOPs", "FLOPs/token", "tokens", "steps", "est. time"]];
  let total = 0;
  const speed = profile.speed.pretrainFlopsPerSecond;
  for (const r of runs) {
    const source = shared.get(r);
    if (!source) total += r.budgetFlops;
    const estimate = r.budget.mode === "seconds" ? "~" : "";
    rows.push([
      runLabel(r) + (source ? ` (= ${runLabel(source)})` : ""),
      r.design.name,
      modelText(r),
      describeBudget(r.budget) + (r.lmFinetune ? ` (LM fine-tune ${sci(r.lmFinetune.flops)} out)` : ""),
      estimate + sci(r.budgetFlops),
      sci(r.flopsPerToken),
      estimate + sci(r.tokens),
      estimate + String(r.steps),
      source ? "trained once" : formatDuration(r.budget.mode === "seconds" ? r.budget.amount : r.budgetFlops / speed),
    ]);
  }
  for (const r of references) rows.push([runLabel(r), "(reference)", modelText(r), "none", "0", "", "0", "0", ""]);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd());
  lines.splice(1, 0, widths.map((w) => "-".repeat(w)).join("  "));
  const fr = profile.pretrain.fractions.join(", ");
  const m = profile.multilingual;
  if (shared.size) {
    lines.push(
      `(= X): the same training as run X (same steps, spec and seed; the dense and sparse heads differ in cost ` +
        `only), trained once; its results are filed under both designs`,
    );
  }
  lines.push(
    `total pretraining budget: ${sci(total)} FLOPs (${formatDuration(total / speed)} at ` +
      `${sci(speed)} FLOP/s); checkpoints evaluated at budget fractions ${fr}` +
      (m ? `; multilingual (${m.languages.join(" ")}) at ${m.fractions.join(", ")} on XNLI` : ""),
  );
  return lines.join("\n");
}
