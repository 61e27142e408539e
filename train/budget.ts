/**
 * What a pretraining run spends until it stops: FLOPs (matched compute), tokens (the paper's equal-token
 * design) or seconds of training on this machine (the analogue of the paper's GPU-hours). A run's budget
 * is exactly one of the three; its checkpoints fall at fractions of it, and its progress is the share spent.
 * A seconds budget is not bit-reproducible: where the run stops depends on the machine and its load.
 */
import { InputError } from "../util/errors.ts";
import { formatDuration } from "../util/format.ts";
import type { TrainCounters } from "./checkpoint.ts";

/** The budget modes, as profiles name them. */
export const BUDGET_MODES = ["flops", "tokens", "seconds"] as const;
export type BudgetMode = typeof BUDGET_MODES[number];

/** A budget: what is counted, and how much of it the run spends. */
export interface Budget {
  mode: BudgetMode;
  amount: number;
}

/** The three optional budget fields a run's options or spec carry (exactly one set). */
export interface BudgetFields {
  budgetFlops?: number;
  budgetTokens?: number;
  budgetSeconds?: number;
}

const FIELD: Record<BudgetMode, keyof BudgetFields> = {
  flops: "budgetFlops",
  tokens: "budgetTokens",
  seconds: "budgetSeconds",
};

/** The budget of options that set exactly one of budgetFlops, budgetTokens, budgetSeconds (a positive number). */
export function budgetOf(fields: BudgetFields): Budget {
  const set = BUDGET_MODES.filter((m) => fields[FIELD[m]] !== undefined);
  if (set.length !== 1) {
    throw new InputError(
      `expected exactly one budget (--budget-flops, --budget-tokens or --budget-seconds), got ${
        set.length ? set.map((m) => `--budget-${m}`).join(" and ") : "none"
      }`,
    );
  }
  const mode = set[0];
  const amount = fields[FIELD[mode]]!;
  if (!(amount > 0 && Number.isFinite(amount))) {
    throw new InputError(`--budget-${mode} must be a positive number, got ${amount}`);
  }
  return { mode, amount };
}

/** The budget as the one field that carries it (for specs and settings). */
export function budgetFields(b: Budget): BudgetFields {
  return { [FIELD[b.mode]]: b.amount };
}

/** How much of the budget's unit `counters` have spent. */
export function spent(b: Budget, counters: TrainCounters): number {
  return counters[b.mode];
}

/** The budget in words: "1.50e+12 FLOPs", "150000 tokens", "10m0s of training". */
export function describeBudget(b: Budget): string {
  if (b.mode === "flops") return `${b.amount.toExponential(2)} FLOPs`;
  if (b.mode === "tokens") return `${Math.round(b.amount)} tokens`;
  return `${formatDuration(b.amount)} of training`;
}
