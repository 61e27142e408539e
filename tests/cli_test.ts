/** util/cli.ts: usage with positional arguments, and runMain's one-line errors. */
import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { flagLine, integerFlag, numberFlag, parseFlags, TRACE_ENV, usage } from "../util/cli.ts";
import { InputError } from "../util/errors.ts";

const CLI_MODULE = new URL("../util/cli.ts", import.meta.url).href;
const ERRORS_MODULE = new URL("../util/errors.ts", import.meta.url).href;

const BUILT_IN_LINES = "\n  --help  show this help\n  --version  print the version (and the git commit in a checkout)";

Deno.test("usage lists positional arguments before the flags; parse errors carry it", () => {
  const spec = { n: { type: "string" as const, default: "2", help: "how many" } };
  const args = { synopsis: "A B", help: "A, B: two files" };
  assertEquals(
    usage("thing", spec, args),
    "usage: deno task thing [flags] A B\n  A, B: two files\n  --n VALUE  how many (default 2)" + BUILT_IN_LINES,
  );
  assertEquals(
    usage("thing", spec),
    "usage: deno task thing [flags]\n  --n VALUE  how many (default 2)" + BUILT_IN_LINES,
  );
  const e = assertThrows(() => parseFlags("thing", spec, ["--m"], args), InputError);
  assertStringIncludes(e.message, "usage: deno task thing [flags] A B");
  assertThrows(() => numberFlag("n", "x"), InputError, '--n expects a number, got "x"');
  assertThrows(() => integerFlag("n", "1.5", 0), InputError, "--n expects an integer >= 0");
});

Deno.test("flagLine: default, the default in words, required, repeatable", () => {
  assertEquals(flagLine("x", { type: "boolean", help: "do x", default: false }), "--x  do x");
  assertEquals(flagLine("d", { type: "string", help: "joins", default: " " }), '--d VALUE  joins (default " ")');
  assertEquals(
    flagLine("l", { type: "string", help: "languages", default: "paper", defaultHelp: "ar,en; or all" }),
    "--l VALUE  languages (default paper: ar,en; or all)",
  );
  assertEquals(
    flagLine("r", { type: "string", help: "files", required: true, multiple: true, defaultHelp: "none" }),
    "--r VALUE  files (required) (default: none) (repeatable)",
  );
});

Deno.test("parseFlags: positional arguments only where the command takes them, required flags", () => {
  const spec = { out: { type: "string" as const, help: "output folder", required: true } };
  assertThrows(
    () => parseFlags("thing", spec, ["--out", "o", "extra"]),
    InputError,
    'thing: unexpected argument "extra": every input is a --flag of one value',
  );
  assertThrows(() => parseFlags("thing", spec, []), InputError, "thing: --out is required (output folder)");
  const two = { synopsis: "A B", help: "two files" };
  assertEquals(parseFlags("thing", spec, ["a", "--out", "o", "b"], two).positionals, ["a", "b"]);
  assertThrows(
    () => parseFlags("thing", spec, ["--out", "o", "a"], two),
    InputError,
    "expected 2 arguments A B, got 1",
  );
  const optional = { synopsis: "[NAME]", help: "a name" };
  assertEquals(parseFlags("thing", spec, ["--out", "o"], optional).positionals, []);
  assertThrows(
    () => parseFlags("thing", spec, ["--out", "o", "a", "b"], optional),
    InputError,
    'expected 0 to 1 argument [NAME], got 2 ("a" "b")',
  );
});

async function runMainWith(body: string, env: Record<string, string> = {}) {
  const code = `import { runMain } from ${JSON.stringify(CLI_MODULE)};
import { InputError } from ${JSON.stringify(ERRORS_MODULE)};
await runMain(async () => { ${body} });`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    env: { ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("runMain: InputErrors and file-system errors are one line and exit 2; other errors keep their stack", async () => {
  const input = await runMainWith(`throw new InputError("bad row", "f.csv", 3);`);
  assertEquals([input.code, input.stderr], [2, "error: f.csv:3: bad row\n"]);

  const fsError = await runMainWith(`await Deno.readTextFile("/nonexistent-folder/x.json");`);
  assertEquals(fsError.code, 2);
  assertEquals(fsError.stderr.trim().split("\n").length, 1);
  assertStringIncludes(
    fsError.stderr,
    "error: No such file or directory (os error 2): readfile '/nonexistent-folder/x.json'",
  );
  assertStringIncludes(fsError.stderr, `(${TRACE_ENV}=1 shows where it happened)`);

  const traced = await runMainWith(`await Deno.readTextFile("/nonexistent-folder/x.json");`, { [TRACE_ENV]: "1" });
  assertEquals(traced.code, 1);
  assertStringIncludes(traced.stderr, "NotFound");
  assertStringIncludes(traced.stderr, "    at ");

  const bug = await runMainWith(`throw new TypeError("a bug");`);
  assertEquals(bug.code, 1);
  assertStringIncludes(bug.stderr, "TypeError: a bug");
  assertStringIncludes(bug.stderr, "    at ");
});

Deno.test("evaluate --dropout: a rate outside a profile's [0, 0.9] is refused in one line before anything is read", async () => {
  const evaluate = (dropout: string) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../tasks/evaluate.ts", import.meta.url).pathname,
        "--checkpoint",
        "/nonexistent/ckpt",
      ]
        .concat(["--tasks", "stsb", "--dropout", dropout]),
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
  const refused = await evaluate("0.95");
  assertEquals([refused.code, new TextDecoder().decode(refused.stderr)], [
    2,
    "error: --dropout must lie in [0, 0.9], got 0.95\n",
  ]);
  // A valid rate passes the flag check; the run stops later, at something else.
  const accepted = new TextDecoder().decode((await evaluate("0.1")).stderr);
  assertEquals(accepted.includes("--dropout"), false, accepted);
});
