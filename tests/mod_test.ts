import { assertEquals } from "@std/assert";
import { data, evals, models, tokenizer } from "../mod.ts";

Deno.test("mod.ts exposes each stage's API under its namespace", () => {
  assertEquals(models.loadModelConfig("tiny").layers, 2);
  assertEquals(data.glueTask("rte").metrics, ["accuracy"]);
  assertEquals(evals.METRICS.accuracy([1, 0, 1], [1, 1, 1]), 2 / 3);
  assertEquals(tokenizer.EOT_ID, 4);
});
