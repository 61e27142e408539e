/**
 * The paper's published numbers (reports/paper_results.json): Table 1 (GLUE), Table 3 (LAMBADA),
 * Table 5 (XNLI) and the compute-to-match claims, read and checked once; the reports set ours beside
 * them. A bad file is an InputError naming the file, the key and its line.
 */
import { join } from "node:path";
import { XNLI_LANGUAGES } from "../data/xnli.ts";
import { parseSpecJson, type SpecFail, specFail } from "../data/task_spec.ts";
import { GLUE_AVERAGES, type GlueResults } from "../evals/glue_score.ts";
import type { XnliSetup } from "../evals/xnli_tasks.ts";
import { REPO_ROOT } from "../util/paths.ts";

/** The file of the built-in numbers. */
export const PAPER_RESULTS_FILE: string = join(REPO_ROOT, "reports", "paper_results.json");

/** A row of Table 1 (GLUE dev, balanced cross-entropy, mean of 3 seeds), in percent. */
export interface PaperGlueRow {
  model: string;
  /** Our objective that stands beside it. */
  objective: string;
  /** Pretraining tokens, as printed. */
  pretrainTokens: string;
  /** Pretraining GPU-hours. */
  gpuHours: number;
  /** The paper's one number per task of the `paper` average, by task name. */
  scores: Record<string, number>;
  /** The printed average. */
  avg: number;
}

/** A row of Table 3 (Pythia-70M on OWT2, LAMBADA OpenAI version); accuracy in percent. */
export interface PaperLambadaRow {
  model: string;
  objective: string;
  /** Whether the row is after LM fine-tuning (our task lambada_openai_lmft). */
  lmFineTuned: boolean;
  perplexity: number;
  accuracy: number;
}

/** A row of Table 5 (XNLI accuracy ×100 per language). */
export interface PaperXnliRow {
  setup: XnliSetup;
  objective: string;
  model: string;
  scores: Record<string, number>;
  /** The published seven-language average. */
  avg: number;
}

/** Every published number the reports use. */
export interface PaperResults {
  source: string;
  glue: { table: string; description: string; rows: PaperGlueRow[] };
  lambada: { table: string; description: string; rows: PaperLambadaRow[] };
  xnli: { table: string; description: string; languages: string[]; rows: PaperXnliRow[] };
  computeToMatch: { description: string; glue: number; xnli: Record<XnliSetup, number> };
}

let cached: PaperResults | undefined;

/** The built-in numbers, read on first use. */
export function paperResults(): PaperResults {
  cached ??= readPaperResults(PAPER_RESULTS_FILE);
  return cached;
}

/** Reads and checks a paper-results file. */
export function readPaperResults(file: string): PaperResults {
  const text = Deno.readTextFileSync(file);
  return validatePaperResults(parseSpecJson(text, file, "paper results"), specFail(file, text, "paper results"));
}

/** A Table 1 row as {@link GlueResults}, keyed the way the `paper` average reads them. */
export function paperRowAsResults(row: PaperGlueRow): GlueResults {
  return Object.fromEntries(
    Object.entries(row.scores).map(([task, v]) => [task, { [GLUE_AVERAGES.paper.keys(task)[0]]: v }]),
  );
}

type Json = Record<string, unknown>;

/** Checks the parsed file; `fail` names the key. */
export function validatePaperResults(value: unknown, fail: SpecFail): PaperResults {
  const object = (v: unknown, key: string, keys: string[]): Json => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return fail(key, `"${key}" must be an object`);
    for (const k of Object.keys(v)) if (!keys.includes(k)) fail(`${key}.${k}`, `unknown key "${key}.${k}"`);
    for (const k of keys) if (!(k in v)) fail(key, `"${key}" lacks "${k}"`);
    return v as Json;
  };
  const str = (v: unknown, key: string) => typeof v === "string" ? v : fail(key, `"${key}" must be a string`);
  const num = (v: unknown, key: string) => Number.isFinite(v) ? v as number : fail(key, `"${key}" must be a number`);
  const rows = (v: unknown, key: string) =>
    Array.isArray(v) && v.length > 0 ? v : fail(key, `"${key}" must list at least one row`);
  const scores = (v: unknown, key: string, names: readonly string[]): Record<string, number> => {
    const o = object(v, key, [...names]);
    return Object.fromEntries(names.map((n) => [n, num(o[n], `${key}.${n}`)]));
  };

  const root = object(value, "", ["source", "glue", "lambada", "xnli", "computeToMatch"]);
  const c = object(root.computeToMatch, "computeToMatch", ["description", "glue", "xnli"]);
  const x = object(c.xnli, "computeToMatch.xnli", Object.keys(c.xnli ?? {}));
  const setups = Object.keys(x);
  if (setups.length === 0) fail("computeToMatch.xnli", `"computeToMatch.xnli" must give a share per setup`);
  const share = (v: unknown, key: string) => {
    const n = num(v, key);
    return n > 0 && n <= 1 ? n : fail(key, `"${key}" must be a share in (0, 1]`);
  };

  const glue = object(root.glue, "glue", ["table", "description", "rows"]);
  const glueTasks = GLUE_AVERAGES.paper.tasks;
  const lambada = object(root.lambada, "lambada", ["table", "description", "rows"]);
  const xnli = object(root.xnli, "xnli", ["table", "description", "languages", "rows"]);
  const languages = xnli.languages;
  if (
    !Array.isArray(languages) || languages.length === 0 ||
    !languages.every((l) => typeof l === "string" && XNLI_LANGUAGES.includes(l))
  ) {
    fail("xnli.languages", `"xnli.languages" must list XNLI languages (${XNLI_LANGUAGES.join(", ")})`);
  }
  return {
    source: str(root.source, "source"),
    glue: {
      table: str(glue.table, "glue.table"),
      description: str(glue.description, "glue.description"),
      rows: rows(glue.rows, "glue.rows").map((r, i) => {
        const key = `glue.rows[${i}]`;
        const o = object(r, key, ["model", "objective", "pretrainTokens", "gpuHours", "scores", "avg"]);
        return {
          model: str(o.model, `${key}.model`),
          objective: str(o.objective, `${key}.objective`),
          pretrainTokens: str(o.pretrainTokens, `${key}.pretrainTokens`),
          gpuHours: num(o.gpuHours, `${key}.gpuHours`),
          scores: scores(o.scores, `${key}.scores`, glueTasks),
          avg: num(o.avg, `${key}.avg`),
        };
      }),
    },
    lambada: {
      table: str(lambada.table, "lambada.table"),
      description: str(lambada.description, "lambada.description"),
      rows: rows(lambada.rows, "lambada.rows").map((r, i) => {
        const key = `lambada.rows[${i}]`;
        const o = object(r, key, ["model", "objective", "lmFineTuned", "perplexity", "accuracy"]);
        if (typeof o.lmFineTuned !== "boolean") {
          fail(`${key}.lmFineTuned`, `"${key}.lmFineTuned" must be true or false`);
        }
        return {
          model: str(o.model, `${key}.model`),
          objective: str(o.objective, `${key}.objective`),
          lmFineTuned: o.lmFineTuned as boolean,
          perplexity: num(o.perplexity, `${key}.perplexity`),
          accuracy: num(o.accuracy, `${key}.accuracy`),
        };
      }),
    },
    xnli: {
      table: str(xnli.table, "xnli.table"),
      description: str(xnli.description, "xnli.description"),
      languages: [...languages as string[]],
      rows: rows(xnli.rows, "xnli.rows").map((r, i) => {
        const key = `xnli.rows[${i}]`;
        const o = object(r, key, ["setup", "objective", "model", "scores", "avg"]);
        if (!setups.includes(o.setup as string)) {
          fail(
            `${key}.setup`,
            `"${key}.setup" must be one of ${setups.join(", ")} (the setups of computeToMatch.xnli)`,
          );
        }
        return {
          setup: o.setup as XnliSetup,
          objective: str(o.objective, `${key}.objective`),
          model: str(o.model, `${key}.model`),
          scores: scores(o.scores, `${key}.scores`, languages as string[]),
          avg: num(o.avg, `${key}.avg`),
        };
      }),
    },
    computeToMatch: {
      description: str(c.description, "computeToMatch.description"),
      glue: share(c.glue, "computeToMatch.glue"),
      xnli: Object.fromEntries(setups.map((s) => [s, share(x[s], `computeToMatch.xnli.${s}`)])) as Record<
        XnliSetup,
        number
      >,
    },
  };
}
