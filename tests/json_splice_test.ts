/** Setting tokenizer.json's post_processor without touching the rest (export/json_splice.ts). */
import { assertEquals } from "@std/assert";
import { setTopLevelField } from "../export/json_splice.ts";

Deno.test("setTopLevelField replaces one field in place and leaves every other byte, or appends it", () => {
  const text = '{\n  "vocab": {"1": 0, "0": 1},\n  "post_processor": null,\n  "s": "a \\"}\\" b"\n}\n';
  assertEquals(
    setTopLevelField(text, "post_processor", { type: "X", ids: [1, 2] }),
    '{\n  "vocab": {"1": 0, "0": 1},\n  "post_processor": {"type":"X","ids":[1,2]},\n  "s": "a \\"}\\" b"\n}\n',
  );
  assertEquals(
    setTopLevelField('{"a": {"post_processor": 1}}', "post_processor", 2),
    '{"a": {"post_processor": 1},\n  "post_processor": 2\n}',
  );
  assertEquals(
    setTopLevelField('{"x": 1, "post_processor": 3}', "post_processor", [1]),
    '{"x": 1, "post_processor": [1]}',
  );
  assertEquals(JSON.parse(setTopLevelField("{}", "k", true)), { k: true });
});
