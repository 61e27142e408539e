import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { loadExamples, loadTaskSpec } from "../data/task_spec.ts";
import { loadMultipleChoiceJsonl } from "../evals/multiple_choice.ts";
import { REPO_ROOT } from "../util/paths.ts";

Deno.test("the README's custom task example loads: 8 train and 4 dev pairs, labels no=0 yes=1", async () => {
  const spec = await loadTaskSpec(join(REPO_ROOT, "examples", "custom_task", "spec.json"));
  const train = await loadExamples(spec, "train", "/nonexistent-cache");
  const dev = await loadExamples(spec, "dev", "/nonexistent-cache");
  assertEquals([train.examples.length, dev.examples.length], [8, 4]);
  assertEquals(train.examples[0], {
    textA: "The cat sat on the mat.",
    textB: "A cat was sitting on the mat.",
    label: 1,
  });
  assertEquals(dev.examples.map((e) => e.label), [1, 0, 1, 0]);
});

Deno.test("the README's multiple-choice example loads, and `deno task mc` names a missing checkpoint", async () => {
  const file = join(REPO_ROOT, "examples", "multiple_choice.jsonl");
  const items = await loadMultipleChoiceJsonl(file);
  assertEquals(items.length, 4);
  assertEquals(items[0], { context: "The sun rises in the", options: ["east", "west", "cupboard"], gold: 0 });
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      join(REPO_ROOT, "tasks", "multiple_choice.ts"),
      "--checkpoint",
      "/nonexistent/ckpt",
      "--task",
      file,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 2);
  assertStringIncludes(new TextDecoder().decode(out.stderr), "/nonexistent/ckpt");
});
