import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "node:path";
import { LAMBADA_PATH, loadLambada, parseLambada } from "../data/lambada.ts";
import { InputError } from "../util/errors.ts";

Deno.test("LAMBADA JSONL: one passage a line, escapes decoded, no trailing blank passage", () => {
  const text =
    '{"text": "In my palm is a clear stone.\\n\\n\\"Figured,\\" he said.\\tend"}\n{"text": "second \\u00e9"}\n';
  assertEquals(parseLambada(text, "l.jsonl"), ['In my palm is a clear stone.\n\n"Figured," he said.\tend', "second é"]);
});

Deno.test("bad JSON or a missing text names the line", () => {
  assertThrows(() => parseLambada('{"text": "a"}\n{"text": "b"\n', "l.jsonl"), InputError, "l.jsonl:2: not valid JSON");
  assertThrows(
    () => parseLambada('{"text": "a"}\n{"text": "b"}\n{"passage": "c"}\n', "l.jsonl"),
    InputError,
    'l.jsonl:3: expected {"text": "..."}',
  );
  assertThrows(() => parseLambada('{"text": 7}\n', "l.jsonl"), InputError, "l.jsonl:1:");
  assertThrows(() => parseLambada('["text"]\n', "l.jsonl"), InputError, "l.jsonl:1:");
  assertThrows(
    () => parseLambada('{"text": "a"}\n\n{"text": "b"}\n', "l.jsonl"),
    InputError,
    "l.jsonl:2: not valid JSON",
  );
});

Deno.test("loadLambada reads the cache file, or says how to get it", async () => {
  const cache = await Deno.makeTempDir();
  await assertRejects(
    () => loadLambada(cache),
    InputError,
    `lambada/lambada_test.jsonl not in cache ${cache}: run \`deno task data\``,
  );
  await Deno.mkdir(join(cache, "lambada"));
  await Deno.writeTextFile(join(cache, LAMBADA_PATH), '{"text": "one"}\n{"text": "two"}');
  assertEquals(await loadLambada(cache), ["one", "two"]);
});
