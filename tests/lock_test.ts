/** util/lock.ts: create-exclusive folder locks, owner-only release, stale takeover, and the race between processes. */
import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { acquireLock, isAlive, LOCK_FILE, type LockOwner, readLockOwner } from "../util/lock.ts";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/fs.ts";

const LOCK_MODULE = new URL("../util/lock.ts", import.meta.url).href;

/** A pid that no process has any more (a finished `true`), and a lock text naming it. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}
const ownerText = (o: Partial<LockOwner>) =>
  JSON.stringify({
    pid: 1,
    processStart: "0",
    host: Deno.hostname(),
    token: "someone-else",
    command: "x",
    since: "2024-01-01T00:00:00.000Z",
    ...o,
  });

Deno.test("acquireLock: a second taker gets one line naming the folder, the owner's pid and what to do", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lock = await acquireLock(join(dir, "out"), { command: "pretrain --out out" });
    assertEquals((await readLockOwner(join(dir, "out")))?.token, lock.owner.token);
    assertEquals(lock.owner.pid, Deno.pid);
    const e = await assertRejects(() => acquireLock(join(dir, "out")), InputError);
    assertStringIncludes(e.message, `${join(dir, "out")}: in use by pid ${Deno.pid} (pretrain --out out, since `);
    assertStringIncludes(e.message, `wait for it to finish or stop it (kill ${Deno.pid}), then run again`);
    assertEquals(e.message.includes("\n"), false);
    assert(await lock.held());
    await lock.release();
    assertEquals(await readLockOwner(join(dir, "out")), null);
    await lock.release(); // a second release does nothing
    await using again = await acquireLock(join(dir, "out"));
    assert(await again.held());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("release removes the lock only while it holds the owner's token", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lock = await acquireLock(dir);
    // Someone replaced the lock (e.g. took it over by hand): ours must not remove theirs.
    await Deno.writeTextFile(join(dir, LOCK_FILE), ownerText({ pid: Deno.pid, token: "theirs" }));
    assertEquals(await lock.held(), false);
    await lock.release();
    assertEquals((await readLockOwner(dir))?.token, "theirs");
    // A folder removed (or renamed) while locked takes its lock with it: release does nothing.
    const gone = await acquireLock(join(dir, "gone"));
    await Deno.remove(join(dir, "gone"), { recursive: true });
    await gone.release();
    assertEquals(await exists(join(dir, "gone")), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stale locks are taken over: a dead pid, a reused pid (other start time), a bare dead pid, junk", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const dead = await deadPid();
    const ownStart = (await Deno.readTextFile("/proc/self/stat").catch(() => "")) !== "";
    const cases: [string, boolean][] = [
      [ownerText({ pid: dead }), true],
      [ownerText({ pid: Deno.pid, processStart: "1" }), ownStart], // our pid, but another process's start time
      [`${dead}\n`, true], // the format pipeline/stage.ts writes
      [`${Deno.pid}\n`, false], // a bare live pid is live
      ["{not json", true],
      [ownerText({ pid: dead, host: "some-other-host" }), false], // cannot judge another host's pids
    ];
    for (const [text, stale] of cases) {
      await Deno.writeTextFile(join(dir, LOCK_FILE), text);
      const seen: (LockOwner | null)[] = [];
      if (stale) {
        const lock = await acquireLock(dir, { onStale: (o) => seen.push(o) });
        assertEquals(seen.length, 1, text);
        await lock.release();
      } else {
        await assertRejects(() => acquireLock(dir), InputError, "in use by pid");
        await Deno.remove(join(dir, LOCK_FILE));
      }
    }
    assertEquals(await isAlive({ ...JSON.parse(ownerText({ pid: dead })) }), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// A child process that, for each "go ROUND AT_MS" line on stdin, waits until AT_MS and tries the lock,
// printing "won ROUND TOKEN" (then holding it until "release ROUND") or "lost ROUND MESSAGE".
const CHILD = `
import { acquireLock } from ${JSON.stringify(LOCK_MODULE)};
const folder = Deno.args[0];
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).values();
let buffered = "";
async function nextLine() {
  while (!buffered.includes("\\n")) {
    const { value, done } = await lines.next();
    if (done) return null;
    buffered += value;
  }
  const i = buffered.indexOf("\\n");
  const line = buffered.slice(0, i);
  buffered = buffered.slice(i + 1);
  return line;
}
const say = (s) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\\n"));
say("ready");
for (let line = await nextLine(); line !== null && line !== "exit"; line = await nextLine()) {
  const [, round, at] = line.split(" ");
  while (Date.now() < Number(at)) await new Promise((r) => setTimeout(r, 1));
  let lock;
  try {
    lock = await acquireLock(folder);
  } catch (e) {
    say("lost " + round + " " + e.message.replaceAll("\\n", " "));
    continue;
  }
  say("won " + round + " " + lock.owner.token);
  if ((await nextLine()) !== "release " + round) throw new Error("expected release " + round);
  await lock.release();
  say("released " + round);
}
`;

class Child {
  private readonly process: Deno.ChildProcess;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly lines: AsyncIterator<string>;
  private buffered = "";

  constructor(folder: string) {
    this.process = new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", CHILD, folder],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.writer = this.process.stdin.getWriter();
    this.lines = this.process.stdout.pipeThrough(new TextDecoderStream()).values();
  }

  get pid(): number {
    return this.process.pid;
  }

  send(line: string): Promise<void> {
    return this.writer.write(new TextEncoder().encode(line + "\n"));
  }

  async line(): Promise<string> {
    while (!this.buffered.includes("\n")) {
      const { value, done } = await this.lines.next();
      if (done) throw new Error(`child ${this.pid} ended`);
      this.buffered += value;
    }
    const i = this.buffered.indexOf("\n");
    const line = this.buffered.slice(0, i);
    this.buffered = this.buffered.slice(i + 1);
    return line;
  }

  async close(): Promise<void> {
    await this.send("exit").catch(() => {});
    await this.writer.close().catch(() => {});
    await this.process.status;
  }

  kill(): Promise<Deno.CommandStatus> {
    this.process.kill("SIGKILL");
    return this.process.status;
  }
}

Deno.test("lock race: N processes, many rounds, fresh and stale locks: exactly one wins, losers never remove its lock", async () => {
  const N = 6, ROUNDS = 16;
  const dir = await Deno.makeTempDir();
  const folder = join(dir, "out");
  const children = Array.from({ length: N }, () => new Child(folder));
  try {
    for (const c of children) assertEquals(await c.line(), "ready");
    for (let round = 0; round < ROUNDS; round++) {
      const stale = round % 2 === 1;
      if (stale) {
        await Deno.mkdir(folder, { recursive: true });
        await Deno.writeTextFile(join(folder, LOCK_FILE), ownerText({ pid: await deadPid(), token: `stale-${round}` }));
      }
      const at = Date.now() + 100;
      await Promise.all(children.map((c) => c.send(`go ${round} ${at}`)));
      const answers = await Promise.all(children.map((c) => c.line()));
      const winners = answers.map((a, i) => [a, i] as const).filter(([a]) => a.startsWith(`won ${round} `));
      assertEquals(winners.length, 1, `round ${round}: ${answers.join(" | ")}`);
      for (const a of answers) {
        if (!a.startsWith("won")) assertStringIncludes(a, `lost ${round} ${folder}: in use by pid `);
      }
      // Every loser has answered: the winner's lock is still there, with its token.
      const [won, index] = winners[0];
      assertEquals((await readLockOwner(folder))?.token, won.split(" ")[2], `round ${round}`);
      assertEquals((await readLockOwner(folder))?.pid, children[index].pid);
      await children[index].send(`release ${round}`);
      assertEquals(await children[index].line(), `released ${round}`);
      assertEquals(await readLockOwner(folder), null);
    }
    // No temporary lock texts are left behind.
    assertEquals([...Deno.readDirSync(folder)].map((e) => e.name), []);
  } finally {
    await Promise.all(children.map((c) => c.close()));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lock race: a lock left by a killed process is taken over by the next run", async () => {
  const dir = await Deno.makeTempDir();
  const child = new Child(dir);
  try {
    assertEquals(await child.line(), "ready");
    await child.send(`go 0 0`);
    assertStringIncludes(await child.line(), "won 0 ");
    await assertRejects(() => acquireLock(dir), InputError, `in use by pid ${child.pid}`);
    await child.kill();
    const seen: (LockOwner | null)[] = [];
    await using lock = await acquireLock(dir, { onStale: (o) => seen.push(o) });
    assertEquals(seen.map((o) => o?.pid), [child.pid]);
    assertEquals((await readLockOwner(dir))?.token, lock.owner.token);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), [LOCK_FILE]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
