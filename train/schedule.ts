/**
 * Learning-rate schedules in steps: linear warmup from peak/warmupSteps up to the peak, then linear
 * or cosine decay to a floor at `totalSteps` (or a constant peak). Step numbers count updates from 0.
 */
import { InputError } from "../util/errors.ts";

/** Shape of the decay after warmup. */
export type ScheduleKind = "linear" | "cosine" | "constant";

/** Known schedule kinds, for flag validation. */
export const SCHEDULE_KINDS: readonly ScheduleKind[] = ["linear", "cosine", "constant"];

/** A schedule: peak rate, warmup and total length in steps, decay shape, and the floor it decays to. */
export interface LrSchedule {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  kind: ScheduleKind;
  /** The rate reached at the end of the decay (absolute, not a fraction of peak). */
  floor: number;
}

/** Decay factor in [0, 1] at progress p in [0, 1] (1 at the start of decay, 0 at its end). */
const DECAY: Record<ScheduleKind, (p: number) => number> = {
  linear: (p) => 1 - p,
  cosine: (p) => 0.5 * (1 + Math.cos(Math.PI * p)),
  constant: () => 1,
};

/**
 * The learning rate for update number `step` (0-based). Warmup: peak·(step+1)/warmupSteps, so the
 * first update is not wasted at zero. Decay: floor + (peak-floor)·f(p), p = (step-warmup)/(total-warmup)
 * clamped to [0, 1], so steps past `totalSteps` stay at the floor.
 */
export function learningRate(s: LrSchedule, step: number): number {
  if (step < s.warmupSteps) return (s.peak * (step + 1)) / s.warmupSteps;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const p = Math.min(1, Math.max(0, (step - s.warmupSteps) / span));
  return s.floor + (s.peak - s.floor) * DECAY[s.kind](p);
}

/** Builds a schedule from a step count and a warmup fraction, validating the inputs. */
export function scheduleFor(
  opts: { peak: number; totalSteps: number; warmupFrac: number; kind: ScheduleKind; floorFrac: number },
): LrSchedule {
  const { peak, totalSteps, warmupFrac, kind, floorFrac } = opts;
  if (!(peak > 0)) throw new InputError(`learning rate must be > 0, got ${peak}`);
  if (!(warmupFrac >= 0 && warmupFrac < 1)) {
    throw new InputError(`warmup fraction must be in [0, 1), got ${warmupFrac}`);
  }
  if (!(floorFrac >= 0 && floorFrac <= 1)) {
    throw new InputError(`lr floor fraction must be in [0, 1], got ${floorFrac}`);
  }
  if (!SCHEDULE_KINDS.includes(kind)) {
    throw new InputError(`schedule must be one of ${SCHEDULE_KINDS.join(", ")}, got ${kind}`);
  }
  if (!(Number.isInteger(totalSteps) && totalSteps >= 1)) {
    throw new InputError(`total steps must be a positive integer, got ${totalSteps}`);
  }
  return { peak, totalSteps, kind, warmupSteps: Math.round(warmupFrac * totalSteps), floor: peak * floorFrac };
}
