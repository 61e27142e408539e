import { assertEquals } from "@std/assert";
import denoJson from "../deno.json" with { type: "json" };
import { data, evals, models, tokenizer, VERSION } from "../mod.ts";

Deno.test("mod.ts exposes each stage's API under its namespace", () => {
  assertEquals(models.loadModelConfig("tiny").layers, 2);
  assertEquals(data.glueTask("rte").metrics, ["accuracy"]);
  assertEquals(evals.METRICS.accuracy([1, 0, 1], [1, 1, 1]), 2 / 3);
  assertEquals(tokenizer.EOT_ID, 4);
  assertEquals(VERSION, denoJson.version);
});
