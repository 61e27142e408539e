/**
 * The kill test: tasks/pretrain.ts on the `tiny` transformer, SIGKILLed again and again at seeded random
 * points and started again each time, ends with the same bytes as a run never interrupted. Two kinds of
 * kill, alternating: the child's own kill points inside the checkpoint code (train/kill_points.ts: between
 * the writes of a checkpoint, between its renames, while one is deleted), and a SIGKILL from here, a
 * seeded random number of training steps into the start plus a random few milliseconds, wherever the
 * child is then (starting, training, logging, writing a checkpoint). Kills are counted in steps, not
 * seconds, so the same seed kills alike on a fast and a slow machine. Every start must either finish or
 * be killed: a start that fails, i.e. a state left that cannot be resumed, fails the test.
 */
import { assert, assertEquals } from "@std/assert";
import { join } from "node:path";
import { verifyArtifact } from "../artifacts/record.ts";
import { listCheckpoints } from "../train/checkpoint.ts";
import { KILL_POINTS_ENV } from "../train/kill_points.ts";
import { fractionDirName } from "../train/loop.ts";
import { randomDocuments, writeTokenFolder } from "../train/testing.ts";
import { exists, sha256 } from "../util/fs.ts";
import { REPO_ROOT } from "../util/paths.ts";
import { Rng } from "../util/rng.ts";

const SEED = 20240;
/** Chance that each kill point kills, in the starts that arm them. */
const KILL_POINT_RATE = 0.1;
/** Starts killed before the last one, which runs to the end untouched. */
const KILLED_STARTS = 20;

const tokens = await Deno.makeTempDir();
await writeTokenFolder(tokens, {
  train: randomDocuments(new Rng(3), 60, 48),
  valid: randomDocuments(new Rng(4), 8, 48),
}, {
  vocabSize: 48,
});

function start(out: string, env: Record<string, string> = {}): Deno.ChildProcess {
  const args = [
    "run",
    "-A",
    join(REPO_ROOT, "tasks", "pretrain.ts"),
    ...["--model", "tiny", "--objective", "cwt", "--tokens", tokens, "--budget-flops", "1.5e8", "--batch", "4"],
    ...["--lr", "3e-3", "--backend", "wasm", "--valid-batches", "1", "--log-every", "1", "--ckpt-every", "2"],
    ...["--out", out],
  ];
  return new Deno.Command(Deno.execPath(), { args, cwd: REPO_ROOT, env, stdout: "null", stderr: "piped" }).spawn();
}

/** train_log.csv without the wall-clock columns (seconds, tokens_per_s). */
async function deterministicLog(out: string): Promise<string[]> {
  const lines = (await Deno.readTextFile(join(out, "train_log.csv"))).trim().split("\n");
  return lines.map((l) => l.split(",").filter((_, i) => i !== 3 && i !== 7).join(","));
}

const tensorsSha = async (dir: string) => sha256(await Deno.readFile(join(dir, "tensors.bin")));

/**
 * Waits for `child` to end, reading its stderr; with `killAfterSteps` set, SIGKILLs it `pauseMs` after
 * its that-many-th progress line (one per step), or after `pauseMs` from the start for 0. Returns stderr.
 */
async function watch(child: Deno.ChildProcess, killAfterSteps: number | null, pauseMs: number) {
  let text = "";
  let steps = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const kill = () => (timer ??= setTimeout(() => child.kill("SIGKILL"), pauseMs));
  if (killAfterSteps === 0) kill();
  for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    steps += chunk.match(/^step \d+ \|/gm)?.length ?? 0;
    if (killAfterSteps !== null && steps >= killAfterSteps) kill();
  }
  const status = await child.status;
  clearTimeout(timer);
  return { ...status, text };
}

Deno.test("pretraining SIGKILLed at seeded random points, inside checkpoint writes too, resumes each time to the same bytes", async () => {
  const root = await Deno.makeTempDir();
  const whole = join(root, "whole");
  const reference = await start(whole).output();
  assertEquals(reference.code, 0, new TextDecoder().decode(reference.stderr));

  const out = join(root, "killed");
  const rng = new Rng(SEED);
  const kills: string[] = [];
  let finished = false;
  for (let i = 0; i <= KILLED_STARTS && !finished; i++) {
    const last = i === KILLED_STARTS;
    // Even starts arm the kill points; odd ones are killed from here.
    const armed = !last && i % 2 === 0;
    const afterSteps = last || armed ? null : rng.int(6);
    const pauseMs = afterSteps === 0 ? 50 + rng.int(500) : rng.int(25);
    const child = start(out, armed ? { [KILL_POINTS_ENV]: `${SEED + i}:${KILL_POINT_RATE}` } : {});
    const { code, signal, text } = await watch(child, afterSteps, pauseMs);
    if (code === 0) {
      finished = true;
      break;
    }
    assertEquals(signal, "SIGKILL", `start ${i} failed instead of being killed or finishing:\n${text}`);
    kills.push(/kill point (.+)/.exec(text)?.[1] ?? `${afterSteps} steps + ${pauseMs} ms`);
  }
  assert(finished, "the last start, not killed, finishes");
  console.log(`${kills.length} kills: ${kills.join("; ")}`);

  const atPoints = kills.filter((k) => k.startsWith("checkpoint: "));
  assert(kills.length >= 12, `killed ${kills.length} times: ${kills.join("; ")}`);
  assert(new Set(atPoints).size >= 3, `kill points hit: ${atPoints.join("; ")}`);
  for (const f of [0.125, 0.25, 0.5, 1]) {
    const name = fractionDirName(f);
    assertEquals(
      await tensorsSha(join(out, "ckpt", name)),
      await tensorsSha(join(whole, "ckpt", name)),
      `checkpoint ${name} after ${kills.length} kills (${kills.join("; ")})`,
    );
  }
  assertEquals(await deterministicLog(out), await deterministicLog(whole), "each step logged once, as uninterrupted");
  // The finished run is an artifact (artifacts/store.ts) whose record matches every file in it.
  const record = await verifyArtifact(out);
  assert(record.resumes > 0, "the store saw the run resumed");
  const checkpointFiles = [0.125, 0.25, 0.5, 1].flatMap((f) =>
    ["meta.json", "record.json", "tensors.bin"].map((n) => `ckpt/${fractionDirName(f)}/${n}`)
  );
  assertEquals(
    Object.keys(record.files).filter((f) => !f.startsWith(".")).sort(),
    ["checkpoints.csv", ...checkpointFiles, "train_log.csv"].sort(),
    "nothing left over from the kills",
  );
  assertEquals((await listCheckpoints(join(out, "ckpt"))).map((c) => c.meta.fraction), [0.125, 0.25, 0.5, 1]);
  const left = [...Deno.readDirSync(join(out, "ckpt"))].map((e) => e.name).sort();
  assertEquals(left, ["frac-0.125", "frac-0.25", "frac-0.5", "frac-1"], "no latest, .old-*, .tmp-* or .trash-* left");
  assert(!(await exists(join(out, "ckpt", "latest"))));
  await Deno.remove(root, { recursive: true });
  await Deno.remove(tokens, { recursive: true });
});
