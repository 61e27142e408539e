/** reports/paper_results.json: the paper's numbers as data, read and checked by reports/paper_results.ts. */
import { assertAlmostEquals, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "node:path";
import { glueAverage } from "../evals/glue_score.ts";
import { PAPER_XNLI_LANGUAGES, XNLI_SETUPS } from "../evals/xnli_tasks.ts";
import { PAPER_RESULTS_FILE, paperResults, paperRowAsResults, readPaperResults } from "../reports/paper_results.ts";
import { InputError } from "../util/errors.ts";

Deno.test("paper results: Tables 1, 3 and 5 and the compute claims, as /work/shared/notes/paper.md prints them", () => {
  const p = paperResults();
  assertEquals(
    p.glue.rows.map((r) => [r.model, r.pretrainTokens, r.gpuHours, r.scores.mrpc, r.scores.cola, r.scores.mnli, r.avg]),
    [
      ["vanilla MLM", "4.1B", 989, 85.87, 54.66, 82.40, 82.43],
      ["headless", "4.1B", 444, 85.31, 58.35, 82.54, 83.29],
      ["headless", "8.2B", 888, 86.89, 60.72, 82.87, 84.08],
    ],
  );
  assertEquals(p.glue.rows[1].scores, {
    mrpc: 85.31,
    cola: 58.35,
    stsb: 84.54,
    sst2: 93.23,
    qnli: 89.49,
    qqp: 89.62,
    mnli: 82.54,
  });
  assertEquals(p.lambada.rows.map((r) => [r.objective, r.lmFineTuned, r.perplexity, r.accuracy]), [
    ["softmax", false, 170.23, 19.52],
    ["cwt", false, 524.44, 18.26],
    ["cwt", true, 153.5, 22.2],
  ]);
  assertEquals(PAPER_XNLI_LANGUAGES, ["ar", "de", "en", "es", "fr", "hi", "zh"]);
  assertEquals(p.xnli.rows.map((r) => [r.setup, r.objective, r.scores.en, r.avg]), [
    ["en", "softmax", 71.66, 55.37],
    ["en", "cwt", 74.03, 57.36],
    ["target", "softmax", 70.4, 62.87],
    ["target", "cwt", 73.96, 65.54],
  ]);
  assertEquals(Object.keys(p.computeToMatch.xnli).sort(), [...XNLI_SETUPS].sort());
  assertEquals([p.computeToMatch.glue, p.computeToMatch.xnli.en, p.computeToMatch.xnli.target], [0.25, 0.22, 0.05]);
});

Deno.test("paper results: each Table 1 row's paper average is its printed avg; so is Table 5's but for one row", () => {
  for (const row of paperResults().glue.rows) {
    assertAlmostEquals(glueAverage(paperRowAsResults(row), "paper").value, row.avg, 0.01);
  }
  const means = paperResults().xnli.rows.map((row) => {
    const values = Object.values(row.scores);
    return Number((values.reduce((a, b) => a + b, 0) / values.length).toFixed(2));
  });
  // As printed: the target-language vanilla row's avg (62.87) is not the mean of its seven numbers (62.75).
  assertEquals(means, [55.37, 57.36, 62.75, 65.54]);
  assertEquals(paperResults().xnli.rows.map((r) => r.avg), [55.37, 57.36, 62.87, 65.54]);
});

Deno.test("a bad paper-results file is an InputError naming the file, the line and the key", async () => {
  const text = await Deno.readTextFile(PAPER_RESULTS_FILE);
  const dir = await Deno.makeTempDir();
  const file = join(dir, "paper_results.json");
  const cases: [string, string, string][] = [
    [
      text.replace('"gpuHours": 989', '"gpuHours": "989"'),
      '"gpuHours": "989"',
      '"glue.rows[0].gpuHours" must be a number',
    ],
    [text.replace('"mrpc": 85.87,', ""), '"scores": {', '"glue.rows[0].scores" lacks "mrpc"'],
    [text.replace('"glue": 0.25', '"glue": 25'), '"glue": 25', '"computeToMatch.glue" must be a share in (0, 1]'],
    [text.replace('"setup": "en"', '"setup": "english"'), '"setup": "english"', "must be one of en, target"],
    [text.replace('"source":', '"sauce":'), '"sauce"', 'unknown key ".sauce"'],
  ];
  for (const [bad, onLine, message] of cases) {
    await Deno.writeTextFile(file, bad);
    const line = bad.split("\n").findIndex((l) => l.includes(onLine)) + 1;
    const error = assertThrows(() => readPaperResults(file), InputError, message);
    assertStringIncludes(error.message, `${file}:${line}: paper results: `);
  }
});
