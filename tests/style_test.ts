/** The tree is formatted and lint-clean with the config in deno.json (`deno fmt --check`, `deno lint`), as CI requires. */
import { assert } from "@std/assert";

const root = new URL("..", import.meta.url).pathname;

async function deno(...args: string[]): Promise<{ ok: boolean; out: string }> {
  const out = await new Deno.Command(Deno.execPath(), { args, cwd: root, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  // deno-lint-ignore no-control-regex
  return { ok: out.success, out: text.replace(/\x1b\[[0-9;]*m/g, "") };
}

Deno.test("deno fmt --check: every file is formatted (run `deno fmt`)", async () => {
  const { ok, out } = await deno("fmt", "--check");
  assert(ok, out.split("\n").filter((l) => l.startsWith("from ") || l.startsWith("error")).slice(0, 20).join("\n"));
});

Deno.test("deno lint: no findings", async () => {
  const { ok, out } = await deno("lint");
  assert(ok, out.slice(0, 4000));
});
