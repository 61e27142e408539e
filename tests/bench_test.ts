/** bench/: the peer's output parser and a tiny end-to-end `deno task bench --json` run. */
import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { parsePeerOutput, runPeer } from "../bench/peer.ts";
import { growthThrough, largestBatchUnder, parseSize, quadraticThrough } from "../bench/train_step.ts";
import { median } from "../bench/measure.ts";
import { InputError } from "../util/errors.ts";

Deno.test("parsePeerOutput reads torch_step.py's result lines and skips the rest", () => {
  const text = "warning: something\n" +
    "torch 1.13.0a0 threads=2 softmax: ms/step median=1710 min=1690 tokens/s=1198 loss=9.213\n" +
    "torch 1.13.0a0 threads=2 cwt: ms/step median=1101 min=1090 tokens/s=1860 loss=7.5\n";
  const results = parsePeerOutput(text);
  assertEquals(results.map((r) => [r.objective, r.medianMs, r.tokensPerSecond, r.loss, r.threads]), [
    ["softmax", 1710, 1198, 9.213, 2],
    ["cwt", 1101, 1860, 7.5, 2],
  ]);
});

Deno.test("runPeer says what is missing instead of failing", async () => {
  const dir = await Deno.makeTempDir();
  const r = await runPeer(
    { vocab: 8, d: 4, layers: 1, heads: 1, seq: 2, batch: 1, steps: 1, threads: 1 },
    `${dir}/nope.py`,
  );
  assert("missing" in r);
  assertStringIncludes(r.missing, "not found");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("median of odd and even lists", () => {
  assertEquals(median([3, 1, 2]), 2);
  assertEquals(median([4, 1, 3, 2]), 2.5);
});

Deno.test("deno task bench --json on a tiny model: one line per objective with throughput, FLOP rate, memory and the no-clip loss; then the evaluation cells", async () => {
  const dir = await Deno.makeTempDir();
  const encoder = `${dir}/tiny-enc.json`;
  await Deno.writeTextFile(
    encoder,
    JSON.stringify({
      ...JSON.parse(await Deno.readTextFile("models/configs/tiny.json")),
      name: "tiny-enc",
      arch: "encoder",
      tieHead: true,
    }),
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "bench/train_step.ts",
      "--backend",
      "wasm",
      "--model",
      "tiny",
      "--sizes",
      "",
      "--vocab",
      "48",
      "--batch",
      "2",
      "--seq-len",
      "8",
      "--steps",
      "2",
      "--eval-encoder",
      encoder,
      "--eval",
      "grouped,padded",
      "--json",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  await Deno.remove(dir, { recursive: true });
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
  const notes = lines.filter((r) => r.note).map((r) => r.note);
  assert(notes[0].startsWith("machine: ") && notes.some((n: string) => n.startsWith("backend wasm")), notes.join("\n"));
  const rows = lines.filter((r) => !r.eval && !r.note);
  assertEquals(rows.map((r) => r.objective), ["softmax", "cwt"]);
  for (const r of rows) {
    assertEquals([r.backend, r.vocab, r.batch, r.seqLen, r.stepMs.length, r.clip], ["wasm", 48, 2, 8, 2, 1]);
    assert(r.tokensPerSecond > 0 && r.gflops > 0 && r.peakGflops > 0 && r.peakTensorBytes > 0, JSON.stringify(r));
    assert(Number.isFinite(r.loss) && r.loss > 0, `loss ${r.loss}`);
    assert(r.noClipTokensPerSecond > 0 && Number.isFinite(r.noClipLoss), JSON.stringify(r));
  }
  // The loss at init is near log V for softmax (uniform predictions), near log |S| = log 16 for CWT.
  assert(Math.abs(rows[0].noClipLoss - Math.log(48)) < 0.5, `softmax loss ${rows[0].noClipLoss}`);
  assert(Math.abs(rows[1].noClipLoss - Math.log(16)) < 0.5, `cwt loss ${rows[1].noClipLoss}`);
  const evals = lines.filter((r) => r.eval);
  assertEquals(evals.map((r) => `${r.mode} ${r.workload} ${r.config}`), [
    "grouped finetune tiny-enc",
    "grouped score-encoder tiny-enc",
    "grouped score-decoder tiny",
    "grouped score-sequences tiny",
    "padded finetune tiny-enc",
    "padded score-encoder tiny-enc",
    "padded score-decoder tiny",
  ]);
  for (const r of evals) {
    assert(r.tokens > 0 && r.computed >= r.tokens && r.tokensPerSecond > 0 && r.pretrainTokensPerSecond > 0);
    assertEquals(r.meets, r.ratio >= r.target);
  }
  // The same examples either way: grouped computes no more tokens than padded, in at least as many calls.
  for (const w of ["finetune", "score-encoder", "score-decoder"]) {
    const [g, p] = ["grouped", "padded"].map((m) => evals.find((r) => r.mode === m && r.workload === w));
    assertEquals(g.tokens, p.tokens, w);
    assert(g.computed <= p.computed && g.calls >= p.calls, `${w}: ${JSON.stringify([g, p])}`);
  }
});

Deno.test("deno task bench refuses an unknown fast path name", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "bench/train_step.ts", "--without", "warpDrive", "--model", "tiny"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 2);
  assertStringIncludes(new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout), "warpDrive");
});

Deno.test("the memory fit: a quadratic through three points, and the largest batch under a budget", () => {
  // y = 5 + 3x + 2x²
  const [c0, c1, c2] = quadraticThrough([1, 2, 4], [10, 19, 49]);
  assert(Math.abs(c0 - 5) < 1e-9 && Math.abs(c1 - 3) < 1e-9 && Math.abs(c2 - 2) < 1e-9, `${c0} ${c1} ${c2}`);
  assertEquals(largestBatchUnder(49, 5, 3, 2), 4); // exactly at the budget
  assertEquals(largestBatchUnder(48.9, 5, 3, 2), 3);
  assertEquals(largestBatchUnder(35, 5, 3, 0), 10); // linear
  assertEquals(largestBatchUnder(4, 5, 3, 2), 0); // the fixed part alone does not fit
});

Deno.test("the memory fit where peaks level off (blocked kernels): a line through the last point, the steeper slope", () => {
  assertEquals(growthThrough([4, 8, 12], [75, 109, 111]), [9, 8.5, 0]); // concave: 75 -> 109 is the steeper
  assertEquals(growthThrough([4, 8, 12], [16, 32, 32], true), [32, 0, 0]); // one tensor capped by its block
  assertEquals(growthThrough([4, 8, 12], [8, 8, 8]), [8, 0, 0]); // flat: nothing grows
  assertEquals(growthThrough([1, 2, 4], [10, 19, 49]), quadraticThrough([1, 2, 4], [10, 19, 49])); // convex: kept
  assertEquals(largestBatchUnder(94, 9, 8.5, 0), 10);
  assertEquals(largestBatchUnder(10, 8, 0, 0), Infinity); // nothing grows: no bound
  assertEquals(largestBatchUnder(7, 8, 0, 0), 0);
});

Deno.test("--sizes WIDTHxLAYERS gives the peer's shapes (heads = width/64, FFN = 4·width) and refuses others", () => {
  assertEquals(parseSize("256x4"), { dModel: 256, layers: 4, heads: 4, dFF: 1024 });
  assertEquals(parseSize("512x2"), { dModel: 512, layers: 2, heads: 8, dFF: 2048 });
  assertThrows(() => parseSize("100x4"), InputError, "multiple of 64");
  assertThrows(() => parseSize("256"), InputError, "WIDTHxLAYERS");
});
