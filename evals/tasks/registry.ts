/**
 * The task registry: one JSON file per task in a folder per group (evals/tasks/glue/cola.json, ...,
 * xnli/xnli.json, lambada/lambada_openai.json, blimp/blimp.json), read and checked once. It is the one
 * description of each task that fine-tuning, scoring, averages, downloads, the pipeline's file needs and
 * the reports read (through data/glue.ts, data/xnli.ts, data/lambada.ts, data/blimp.ts).
 *
 * A task file has a `kind`:
 * - "finetune" (the default): the custom task spec of data/task_spec.ts; a custom task is such a file
 *   outside this folder. Split files here are data-cache-relative.
 * - "last-word": a JSONL file of passages scored on their last word (LAMBADA): `text` names the key,
 *   `lmFineTunedTask` the result-row task of the scores after LM fine-tuning.
 * - "minimal-pairs": JSONL files of grammatical / ungrammatical sentence pairs scored zero-shot (BLiMP),
 *   one split per paradigm: `good` and `bad` name the keys.
 * A folder may hold a `group.json`: the group's task order and its named averages (GLUE's `paper` and
 * `leaderboard`); without one, the folder's tasks are in file-name order.
 */
import { basename, join } from "node:path";
import { InputError } from "../../util/errors.ts";
import { REPO_ROOT } from "../../util/paths.ts";
import {
  checkTaskHead,
  parseSpecJson,
  scoreKeys,
  selectByOf,
  type SpecFail,
  specFail,
  type TaskSpec,
  validateTaskSpec,
} from "../../data/task_spec.ts";

/** The folder of the built-in task files. */
export const REGISTRY_DIR: string = join(REPO_ROOT, "evals", "tasks");

/** The name of a folder's group file. */
export const GROUP_FILE = "group.json";

/** A last-word task (LAMBADA): passages whose last word the model must predict. */
export interface LastWordTask {
  name: string;
  title?: string;
  description?: string;
  format: "jsonl";
  splits: Record<string, string>;
  /** The JSON key of a passage. */
  text: string;
  /** Metric names of its result rows. */
  metrics: string[];
  /** The result-row task of the scores after LM fine-tuning. */
  lmFineTunedTask: string;
}

/** A zero-shot minimal-pair task (BLiMP): one split per paradigm, each line a good and a bad sentence. */
export interface MinimalPairTask {
  name: string;
  title?: string;
  description?: string;
  format: "jsonl";
  /** paradigm -> file */
  splits: Record<string, string>;
  /** The JSON key of the grammatical sentence. */
  good: string;
  /** The JSON key of the ungrammatical one. */
  bad: string;
  metrics: string[];
}

/** A task of the registry: its kind, spec, group (folder) and file. */
export type RegisteredTask =
  & { group: string; file: string }
  & (
    | { kind: "finetune"; spec: TaskSpec }
    | { kind: "last-word"; spec: LastWordTask }
    | { kind: "minimal-pairs"; spec: MinimalPairTask }
  );

/** How a named average turns a task's scores into one number: the score picking the best epoch, or those reported. */
export type AverageScores = "selectBy" | "reported";

/** A named average over some of a group's tasks. */
export interface AverageDefinition {
  description?: string;
  /** Its tasks, in the order they are summed. */
  tasks: string[];
  scores: AverageScores;
}

/** A group: its tasks in order and its averages. */
export interface TaskGroup {
  group: string;
  description?: string;
  tasks: string[];
  averages: Record<string, AverageDefinition>;
}

/** Every task and group of a registry folder. */
export interface Registry {
  tasks: Map<string, RegisteredTask>;
  groups: Map<string, TaskGroup>;
}

const GROUP_KEYS = ["group", "description", "tasks", "averages"];
const AVERAGE_KEYS = ["description", "tasks", "scores"];

/**
 * Reads every task file under `dir` (one folder per group). Any problem is an InputError naming the file,
 * the line and the key: a bad task file, two tasks with one name, a file named unlike its task, a group
 * file that lists a task its folder lacks or misses one.
 */
export function loadRegistry(dir: string = REGISTRY_DIR): Registry {
  const tasks = new Map<string, RegisteredTask>();
  const groups = new Map<string, TaskGroup>();
  for (const folder of sortedEntries(dir).filter((e) => e.isDirectory).map((e) => e.name)) {
    const files = sortedEntries(join(dir, folder)).filter((e) => e.isFile && e.name.endsWith(".json")).map((e) =>
      e.name
    );
    const names = files.filter((name) => name !== GROUP_FILE);
    if (names.length === 0) continue;
    const found: string[] = [];
    for (const name of names) {
      const task = readTaskFile(join(dir, folder, name), folder);
      const other = tasks.get(task.spec.name);
      if (other) {
        throw new InputError(`task "${task.spec.name}" is also defined in ${other.file}`, task.file, 1);
      }
      tasks.set(task.spec.name, task);
      found.push(task.spec.name);
    }
    const group = files.includes(GROUP_FILE)
      ? readGroupFile(join(dir, folder, GROUP_FILE), folder, found, tasks)
      : { group: folder, tasks: found, averages: {} };
    groups.set(folder, group);
  }
  return { tasks, groups };
}

let builtIn: Registry | undefined;

/** The built-in registry (evals/tasks/), read on first use. */
export function taskRegistry(): Registry {
  builtIn ??= loadRegistry();
  return builtIn;
}

/** A built-in task by name; an unknown one is an InputError listing the tasks. */
export function registryTask(name: string): RegisteredTask {
  const task = taskRegistry().tasks.get(name);
  if (!task) throw new InputError(`unknown task "${name}" (tasks: ${[...taskRegistry().tasks.keys()].join(", ")})`);
  return task;
}

/** A built-in group by name. */
export function taskGroup(group: string): TaskGroup {
  const g = taskRegistry().groups.get(group);
  if (!g) {
    throw new InputError(`unknown task group "${group}" (groups: ${[...taskRegistry().groups.keys()].join(", ")})`);
  }
  return g;
}

/** The fine-tuning specs of a built-in group, in its order (copies: callers cannot change the registry). */
export function finetuneSpecs(group: string): TaskSpec[] {
  return taskGroup(group).tasks.map((name) => finetuneSpec(name));
}

/** A built-in fine-tuning task's spec (a copy); a task of another kind is an InputError. */
export function finetuneSpec(name: string): TaskSpec {
  const task = registryTask(name);
  if (task.kind !== "finetune") throw new InputError(`task "${name}" is a ${task.kind} task, not a fine-tuning task`);
  return structuredClone(task.spec);
}

/** The score keys a named average reads of `spec`: the one picking the best epoch, or every reported one. */
export function averageKeys(spec: TaskSpec, scores: AverageScores): string[] {
  return scores === "selectBy" ? [selectByOf(spec)] : scoreKeys(spec);
}

function sortedEntries(dir: string): Deno.DirEntry[] {
  return [...Deno.readDirSync(dir)].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function readJson(path: string, what: string): { text: string; value: unknown } {
  const text = Deno.readTextFileSync(path);
  return { text, value: parseSpecJson(text, path, what) };
}

function readTaskFile(path: string, group: string): RegisteredTask {
  const { text, value } = readJson(path, "task file");
  const fail = specFail(path, text, "task file");
  const kind = (value as { kind?: unknown } | null)?.kind ?? "finetune";
  let task: RegisteredTask;
  if (kind === "finetune") task = { kind, group, file: path, spec: validateTaskSpec(value, path, { text }) };
  else if (kind === "last-word") task = { kind, group, file: path, spec: validateLastWord(value, fail) };
  else if (kind === "minimal-pairs") task = { kind, group, file: path, spec: validateMinimalPairs(value, fail) };
  else return fail("kind", `"kind" must be "finetune", "last-word" or "minimal-pairs"`);
  if (basename(path) !== `${task.spec.name}.json`) {
    fail("name", `"name" is "${task.spec.name}" but the file is ${basename(path)}; name the file after the task`);
  }
  return task;
}

function stringKey(value: Record<string, unknown>, key: string, fail: SpecFail): string {
  const v = value[key];
  if (typeof v !== "string" || v === "") fail(key, `"${key}" must be a non-empty string`);
  return v as string;
}

function stringList(value: unknown, key: string, fail: SpecFail): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((x) => typeof x === "string" && x !== "")) {
    fail(key, `"${key}" must list at least one name`);
  }
  return [...value as string[]];
}

function jsonlHead(value: Record<string, unknown>, fail: SpecFail) {
  if (value.format !== "jsonl") fail("format", `"format" must be "jsonl"`);
  return {
    name: value.name as string,
    ...(value.title !== undefined ? { title: value.title as string } : {}),
    ...(value.description !== undefined ? { description: value.description as string } : {}),
    format: "jsonl" as const,
    splits: { ...(value.splits as Record<string, string>) },
  };
}

function validateLastWord(value: unknown, fail: SpecFail): LastWordTask {
  checkTaskHead(value, "last-word", ["text", "metrics", "lmFineTunedTask"], fail);
  return {
    ...jsonlHead(value, fail),
    text: stringKey(value, "text", fail),
    metrics: stringList(value.metrics, "metrics", fail),
    lmFineTunedTask: stringKey(value, "lmFineTunedTask", fail),
  };
}

function validateMinimalPairs(value: unknown, fail: SpecFail): MinimalPairTask {
  checkTaskHead(value, "minimal-pairs", ["good", "bad", "metrics"], fail);
  return {
    ...jsonlHead(value, fail),
    good: stringKey(value, "good", fail),
    bad: stringKey(value, "bad", fail),
    metrics: stringList(value.metrics, "metrics", fail),
  };
}

function readGroupFile(
  path: string,
  folder: string,
  found: string[],
  tasks: Map<string, RegisteredTask>,
): TaskGroup {
  const { text, value } = readJson(path, "group file");
  const fail = specFail(path, text, "group file");
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("", "expected a JSON object");
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!GROUP_KEYS.includes(key)) fail(key, `unknown key "${key}" (allowed: ${GROUP_KEYS.join(", ")})`);
  }
  if (v.group !== folder) fail("group", `"group" must be "${folder}", the folder's name`);
  if (v.description !== undefined && typeof v.description !== "string") {
    fail("description", `"description" must be a string`);
  }
  const order = stringList(v.tasks, "tasks", fail);
  const missing = found.filter((t) => !order.includes(t));
  const extra = order.filter((t) => !found.includes(t));
  if (missing.length || extra.length || new Set(order).size !== order.length) {
    fail(
      "tasks",
      `"tasks" must list each task file of ${folder}/ once (${
        [missing.length ? `not listed: ${missing.join(", ")}` : "", extra.length ? `no file: ${extra.join(", ")}` : ""]
          .filter(Boolean).join("; ") || "repeated names"
      })`,
    );
  }
  const averages: Record<string, AverageDefinition> = {};
  const raw = v.averages ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return fail("averages", `"averages" must be an object`);
  }
  for (const [name, a] of Object.entries(raw as Record<string, unknown>)) {
    const key = `averages.${name}`;
    if (typeof a !== "object" || a === null || Array.isArray(a)) return fail(key, `"${key}" must be an object`);
    const avg = a as Record<string, unknown>;
    for (const k of Object.keys(avg)) {
      if (!AVERAGE_KEYS.includes(k)) {
        fail(`${key}.${k}`, `unknown key "${key}.${k}" (allowed: ${AVERAGE_KEYS.join(", ")})`);
      }
    }
    const members = stringList(avg.tasks, `${key}.tasks`, fail);
    for (const t of members) {
      if (!order.includes(t) || tasks.get(t)?.kind !== "finetune") {
        fail(`${key}.tasks`, `"${key}.tasks": "${t}" is not a fine-tuning task of ${folder}/`);
      }
    }
    if (avg.scores !== "selectBy" && avg.scores !== "reported") {
      fail(`${key}.scores`, `"${key}.scores" must be "selectBy" or "reported"`);
    }
    averages[name] = {
      ...(typeof avg.description === "string" ? { description: avg.description } : {}),
      tasks: members,
      scores: avg.scores as AverageScores,
    };
  }
  return {
    group: folder,
    ...(typeof v.description === "string" ? { description: v.description } : {}),
    tasks: order,
    averages,
  };
}
