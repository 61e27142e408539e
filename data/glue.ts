/**
 * The GLUE tasks as the task registry holds them (evals/tasks/glue/: one file per task, group.json for
 * their order and averages). Result rows and the command line name a task by its registry name (cola,
 * sst2, mrpc, stsb, qqp, mnli, qnli, rte, wnli); tables show its title (CoLA, SST-2, ...). MNLI is one
 * task with two dev sets, matched and mismatched, sharing its train file.
 */
import type { TaskSpec } from "./task_spec.ts";
import { finetuneSpec, finetuneSpecs, taskGroup } from "../evals/tasks/registry.ts";
import { InputError } from "../util/errors.ts";

/** The registry group of the GLUE tasks. */
export const GLUE_GROUP = "glue";

/** The GLUE task names, in the leaderboard's order. */
export const GLUE_TASK_NAMES: readonly string[] = taskGroup(GLUE_GROUP).tasks;

/** The GLUE task specs, in the leaderboard's order (copies). */
export function glueTasks(): TaskSpec[] {
  return finetuneSpecs(GLUE_GROUP);
}

const normalise = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, "");

/** True when `name` is a GLUE task's registry name. */
export function isGlueTask(name: string): boolean {
  return GLUE_TASK_NAMES.includes(name);
}

/**
 * A GLUE task by name or title, ignoring case and punctuation ("SST-2" finds sst2); a copy, so callers
 * cannot change the registry. Unknown names are an InputError.
 */
export function glueTask(name: string): TaskSpec {
  const key = normalise(name);
  const found = GLUE_TASK_NAMES.find((t) => t === key) ??
    GLUE_TASK_NAMES.find((t) => normalise(finetuneSpec(t).title ?? "") === key);
  if (!found) throw new InputError(`unknown GLUE task "${name}" (tasks: ${GLUE_TASK_NAMES.join(", ")})`);
  return finetuneSpec(found);
}

/** The title tables show for a GLUE task ("STS-B" for stsb). */
export function glueTitle(name: string): string {
  return glueTask(name).title ?? name;
}
