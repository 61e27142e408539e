/** Learning-rate schedules at known steps. */
import { assertAlmostEquals, assertThrows } from "@std/assert";
import { learningRate, scheduleFor } from "../train/schedule.ts";
import { InputError } from "../util/errors.ts";

// peak 1e-3, 10 warmup steps, 110 total, floor 1e-4: decay spans steps 10..110 (100 steps).
const base = { peak: 1e-3, warmupSteps: 10, totalSteps: 110, floor: 1e-4 };

Deno.test("warmup rises linearly from peak/warmup to the peak", () => {
  const s = { ...base, kind: "linear" as const };
  assertAlmostEquals(learningRate(s, 0), 1e-4, 1e-12);
  assertAlmostEquals(learningRate(s, 4), 5e-4, 1e-12);
  assertAlmostEquals(learningRate(s, 9), 1e-3, 1e-12);
  assertAlmostEquals(learningRate(s, 10), 1e-3, 1e-12);
});

Deno.test("linear decay: halfway is the mean of peak and floor, then the floor", () => {
  const s = { ...base, kind: "linear" as const };
  assertAlmostEquals(learningRate(s, 35), 1e-4 + 9e-4 * 0.75, 1e-12); // p = 0.25
  assertAlmostEquals(learningRate(s, 60), 5.5e-4, 1e-12); // p = 0.5
  assertAlmostEquals(learningRate(s, 110), 1e-4, 1e-12);
  assertAlmostEquals(learningRate(s, 500), 1e-4, 1e-12);
});

Deno.test("cosine decay: 0.5(1+cos πp) between peak and floor", () => {
  const s = { ...base, kind: "cosine" as const };
  assertAlmostEquals(learningRate(s, 35), 1e-4 + 9e-4 * 0.8535533905932737, 1e-12); // p = 0.25: (1 + √2/2)/2
  assertAlmostEquals(learningRate(s, 60), 5.5e-4, 1e-12);
  assertAlmostEquals(learningRate(s, 85), 1e-4 + 9e-4 * 0.14644660940672627, 1e-12); // p = 0.75
  assertAlmostEquals(learningRate(s, 110), 1e-4, 1e-12);
});

Deno.test("constant after warmup; no warmup starts at the peak", () => {
  assertAlmostEquals(learningRate({ ...base, kind: "constant" }, 100), 1e-3, 1e-12);
  assertAlmostEquals(learningRate({ ...base, warmupSteps: 0, kind: "linear" }, 0), 1e-3, 1e-12);
});

Deno.test("scheduleFor derives warmup steps and floor from fractions, and rejects bad values", () => {
  const s = scheduleFor({ peak: 1e-3, totalSteps: 1000, warmupFrac: 0.1, kind: "cosine", floorFrac: 0.1 });
  assertAlmostEquals(s.warmupSteps, 100, 0);
  assertAlmostEquals(s.floor, 1e-4, 1e-15);
  assertThrows(
    () => scheduleFor({ peak: 1e-3, totalSteps: 10, warmupFrac: 1, kind: "linear", floorFrac: 0 }),
    InputError,
    "warmup",
  );
  assertThrows(
    () => scheduleFor({ peak: 0, totalSteps: 10, warmupFrac: 0, kind: "linear", floorFrac: 0 }),
    InputError,
    "learning rate",
  );
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => scheduleFor({ peak: 1, totalSteps: 10, warmupFrac: 0, kind: "step" as any, floorFrac: 0 }),
    InputError,
    "schedule",
  );
});
