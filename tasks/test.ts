/**
 * Runs `deno test` over the project and appends the plain `N passed, N failed` line that CI reads.
 * Extra arguments go to `deno test` (a file or `--filter NAME`). Exit code is deno test's own.
 */
const args = Deno.args.length ? Deno.args : ["tests/"];
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", "--no-check=remote", ...args],
  stdout: "piped",
  stderr: "inherit",
}).spawn();

let tail = "";
const decoder = new TextDecoder();
for await (const chunk of child.stdout) {
  await Deno.stdout.write(chunk);
  tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000);
}
const { code } = await child.status;

// deno test's summary: "ok | 12 passed (3 steps) | 0 failed | 2 ignored (1s)"; strip colour codes first.
// deno-lint-ignore no-control-regex
const plain = tail.replace(/\x1b\[[0-9;]*m/g, "");
const count = (word: string) => {
  const m = [...plain.matchAll(new RegExp(`(\\d+) ${word}`, "g"))].at(-1);
  return m ? Number(m[1]) : 0;
};
const passed = count("passed");
const failed = count("failed") + (code !== 0 && count("failed") === 0 ? 1 : 0);
console.log(`${passed} passed, ${failed} failed, ${count("ignored")} skipped`);
Deno.exit(code);
