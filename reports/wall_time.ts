/**
 * Wall time by part from a run folder's stages.jsonl (written by pipeline/run_plan.ts): the seconds of
 * every stage in the invocation that finished it, summed by stage kind. A stage found done costs nothing;
 * the part of an interrupted invocation that a resumed stage did not redo is not counted (and said so).
 */
import type { StageEvent } from "../artifacts/stage_events.ts";
import { formatDuration } from "../util/format.ts";
import type { TextTable } from "./summary.ts";

/** What each stage kind is, in report order. */
const PARTS: Readonly<Record<string, string>> = {
  tokenize: "corpus and tokenizer",
  pretrain: "pretraining",
  init: "random-init models",
  glue: "GLUE fine-tuning",
  xnli: "XNLI fine-tuning",
  lambada: "LAMBADA (and LM fine-tunes)",
  blimp: "BLiMP",
  bpb: "bits per byte",
  mc: "multiple choice",
  relabel: "results shared between designs",
};

/** Seconds by part, the interrupted invocations' stages, and the total. */
export function wallTimeByPart(events: readonly StageEvent[], stageKeys?: Readonly<Record<string, string>>): {
  parts: { kind: string; stages: number; seconds: number }[];
  interrupted: string[];
  seconds: number;
} {
  // A folder reused with another profile or code holds events of stages the plan no longer has.
  if (stageKeys) events = events.filter((e) => stageKeys[e.id] === e.key);
  const finished = new Map<string, number>();
  for (const e of events) if (e.event === "done" && typeof e.seconds === "number") finished.set(e.id, e.seconds);
  const ended = new Set(
    events.filter((e) => e.event === "done" || e.event === "fail").map((e) => `${e.invocation} ${e.id}`),
  );
  const interrupted = events.filter((e) =>
    (e.event === "start" || e.event === "resume") && !ended.has(`${e.invocation} ${e.id}`)
  )
    .map((e) => e.id);
  const byKind = new Map<string, { stages: number; seconds: number }>();
  for (const [id, seconds] of finished) {
    const kind = id.split("/")[0];
    const part = byKind.get(kind) ?? { stages: 0, seconds: 0 };
    byKind.set(kind, { stages: part.stages + 1, seconds: part.seconds + seconds });
  }
  const order = Object.keys(PARTS);
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  const parts = [...byKind.entries()].map(([kind, p]) => ({ kind, ...p }))
    .sort((a, b) => rank(a.kind) - rank(b.kind) || a.kind.localeCompare(b.kind));
  return { parts, interrupted, seconds: parts.reduce((s, p) => s + p.seconds, 0) };
}

/**
 * The wall-time table, or null without events. With `stageKeys` (the plan's stages, id → key) only those
 * stages count.
 */
export function wallTimeTable(
  events: readonly StageEvent[],
  stageKeys?: Readonly<Record<string, string>>,
): TextTable | null {
  const { parts, interrupted, seconds } = wallTimeByPart(events, stageKeys);
  if (parts.length === 0) return null;
  const share = (s: number) => `${(100 * s / seconds).toFixed(1)}%`;
  return {
    title: "Wall time by part",
    columns: ["part", "stages", "wall time", "share"],
    rows: [
      ...parts.map((p) => [PARTS[p.kind] ?? p.kind, String(p.stages), formatDuration(p.seconds), share(p.seconds)]),
      ["total", String(parts.reduce((n, p) => n + p.stages, 0)), formatDuration(seconds), "100%"],
    ],
    notes: [
      "Each stage's seconds in the invocation that finished it (stages.jsonl), on the machine and backend the " +
      "provenance names; stages run one after another, so the total is the run's wall time less its start-up.",
      ...(interrupted.length
        ? [
          `Interrupted and resumed (their time before the interruption is not counted): ${
            [...new Set(interrupted)].join(", ")
          }.`,
        ]
        : []),
    ],
  };
}
