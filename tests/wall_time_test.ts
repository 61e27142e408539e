/**
 * reports/wall_time.ts: wall time by part from stages.jsonl, counting each stage once (the invocation that
 * finished it), naming the interrupted ones, and a bad line named by file and line.
 */
import { assertEquals, assertThrows } from "@std/assert";
import { parseStageEvents } from "../artifacts/stage_events.ts";
import { wallTimeByPart, wallTimeTable } from "../reports/wall_time.ts";
import { InputError } from "../util/errors.ts";

const lines = [
  { invocation: "a", id: "tokenize/corpus", event: "start" },
  { invocation: "a", id: "tokenize/corpus", event: "done", seconds: 25 },
  { invocation: "a", id: "pretrain/enc", event: "start" },
  { invocation: "b", id: "tokenize/corpus", event: "skip" },
  { invocation: "b", id: "pretrain/enc", event: "resume" },
  { invocation: "b", id: "pretrain/enc", event: "done", seconds: 3590 },
  { invocation: "b", id: "glue/enc-f1-stsb", event: "start" },
  { invocation: "b", id: "glue/enc-f1-stsb", event: "done", seconds: 50 },
  { invocation: "b", id: "glue/enc-f1-sst2", event: "start" },
  { invocation: "b", id: "glue/enc-f1-sst2", event: "done", seconds: 70 },
];
const text = lines.map((l) => JSON.stringify(l)).join("\n") + "\n";

Deno.test("wall time by part: each stage once, in the invocation that finished it; the interrupted named", () => {
  const events = parseStageEvents(text, "stages.jsonl");
  assertEquals(wallTimeByPart(events), {
    parts: [
      { kind: "tokenize", stages: 1, seconds: 25 },
      { kind: "pretrain", stages: 1, seconds: 3590 },
      { kind: "glue", stages: 2, seconds: 120 },
    ],
    interrupted: ["pretrain/enc"],
    seconds: 3735,
  });
  const table = wallTimeTable(events)!;
  assertEquals(table.rows, [
    ["corpus and tokenizer", "1", "25s", "0.7%"],
    ["pretraining", "1", "59m50s", "96.1%"],
    ["GLUE fine-tuning", "2", "2m00s", "3.2%"],
    ["total", "4", "1h02m", "100%"],
  ]);
  assertEquals(
    table.notes[1],
    "Interrupted and resumed (their time before the interruption is not counted): pretrain/enc.",
  );
  assertEquals(wallTimeTable([]), null);
});

Deno.test("wall time by part counts only the plan's stages (id and key) in a folder reused with another plan", () => {
  const at = "2026-12-08T00:00:00Z";
  const events = parseStageEvents(
    [
      { invocation: "a", at, id: "pretrain/dec", key: "old", event: "done", seconds: 900 },
      { invocation: "a", at, id: "blimp/dec-f0.5", key: "k1", event: "done", seconds: 300 },
      { invocation: "b", at, id: "pretrain/dec", key: "new", event: "start" },
      { invocation: "c", at, id: "pretrain/dec", key: "new", event: "resume" },
      { invocation: "c", at, id: "pretrain/dec", key: "new", event: "done", seconds: 600 },
      { invocation: "c", at, id: "relabel/dec-s-f1", key: "k2", event: "done", seconds: 0.2 },
    ].map((l) => JSON.stringify(l)).join("\n") + "\n",
    "stages.jsonl",
  );
  // Every stage: the removed blimp stage counts, and pretrain/dec once (the last finish).
  assertEquals(wallTimeByPart(events).seconds, 900.2);
  const plan = { "pretrain/dec": "new", "relabel/dec-s-f1": "k2" };
  assertEquals(wallTimeByPart(events, plan), {
    parts: [{ kind: "pretrain", stages: 1, seconds: 600 }, { kind: "relabel", stages: 1, seconds: 0.2 }],
    interrupted: ["pretrain/dec"],
    seconds: 600.2,
  });
  assertEquals(wallTimeTable(events, plan)!.rows[1][0], "results shared between designs");
});

Deno.test("a bad stages.jsonl line is named by file and line", () => {
  const err = assertThrows(() => parseStageEvents(text + "{oops\n", "run/stages.jsonl"), InputError);
  assertEquals(err.message.startsWith("run/stages.jsonl:11:"), true, err.message);
});
