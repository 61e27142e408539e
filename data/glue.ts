/**
 * The nine GLUE tasks as TaskSpecs, in one table. Files and columns follow the official GLUE TSVs
 * (download_glue_data.py) and the layout of ../shared/data, which differs in content but not in shape:
 * - MRPC is the MSR paraphrase corpus (train = all of MSR train, dev = the labelled MSR test set), header
 *   `Quality #1 ID #2 ID #1 String #2 String` (the MSR files start with a byte-order mark; the reader drops it).
 * - STS-B has the GLUE columns (index genre filename year old_index source1 source2 sentence1 sentence2
 *   score): looked up by name, so only the header matters.
 * - QNLI has only dev in the mirror; MNLI is not in the mirror at all, but its specs name the official
 *   files MNLI/train.tsv, dev_matched.tsv and dev_mismatched.tsv (label column gold_label).
 * - QQP's official train file holds broken rows (a label glued onto a question, fewer columns): skipped and counted.
 * CoLA's train/dev have no header (source, label, original mark, sentence): columns by index.
 * Class lists are the label strings as written in the files; a label's index is its position.
 */
import { InputError } from "../util/errors.ts";
import type { LabelSpec, TaskSpec } from "./task_spec.ts";

const classes = (...names: string[]): LabelSpec => ({ type: "classes", classes: names });
const BINARY = () => classes("0", "1");
const ENTAILMENT = () => classes("entailment", "not_entailment");
const NLI3 = () => classes("entailment", "neutral", "contradiction");

function glue(spec: Omit<TaskSpec, "format" | "skipBrokenRows"> & { skipBrokenRows?: boolean }): TaskSpec {
  return { format: "tsv", skipBrokenRows: false, ...spec };
}

const dir = (task: string, ...splits: string[]) => Object.fromEntries(splits.map((s) => [s, `glue/${task}/${s}.tsv`]));

/** The GLUE tasks; MNLI appears twice (matched and mismatched dev sets, same train file). */
export const GLUE_TASKS: readonly TaskSpec[] = [
  glue({
    name: "CoLA",
    splits: dir("CoLA", "train", "dev"),
    header: false,
    columns: 4,
    textA: 3,
    label: 1,
    labels: BINARY(),
    metrics: ["mcc"],
  }),
  glue({
    name: "SST-2",
    splits: dir("SST-2", "train", "dev"),
    header: true,
    textA: "sentence",
    label: "label",
    labels: BINARY(),
    metrics: ["accuracy"],
  }),
  glue({
    name: "MRPC",
    splits: dir("MRPC", "train", "dev"),
    header: true,
    textA: "#1 String",
    textB: "#2 String",
    label: "Quality",
    labels: BINARY(),
    metrics: ["accuracy", "f1"],
  }),
  glue({
    name: "STS-B",
    splits: dir("STS-B", "train", "dev"),
    header: true,
    textA: "sentence1",
    textB: "sentence2",
    label: "score",
    labels: { type: "regression", range: [0, 5] },
    metrics: ["pearson", "spearman"],
  }),
  glue({
    name: "QQP",
    splits: dir("QQP", "train", "dev"),
    header: true,
    textA: "question1",
    textB: "question2",
    label: "is_duplicate",
    labels: BINARY(),
    metrics: ["accuracy", "f1"],
    skipBrokenRows: true,
  }),
  glue({
    name: "MNLI-m",
    splits: { train: "glue/MNLI/train.tsv", dev: "glue/MNLI/dev_matched.tsv" },
    header: true,
    textA: "sentence1",
    textB: "sentence2",
    label: "gold_label",
    labels: NLI3(),
    metrics: ["accuracy"],
  }),
  glue({
    name: "MNLI-mm",
    splits: { train: "glue/MNLI/train.tsv", dev: "glue/MNLI/dev_mismatched.tsv" },
    header: true,
    textA: "sentence1",
    textB: "sentence2",
    label: "gold_label",
    labels: NLI3(),
    metrics: ["accuracy"],
  }),
  glue({
    name: "QNLI",
    splits: dir("QNLI", "train", "dev"),
    header: true,
    textA: "question",
    textB: "sentence",
    label: "label",
    labels: ENTAILMENT(),
    metrics: ["accuracy"],
  }),
  glue({
    name: "RTE",
    splits: dir("RTE", "train", "dev"),
    header: true,
    textA: "sentence1",
    textB: "sentence2",
    label: "label",
    labels: ENTAILMENT(),
    metrics: ["accuracy"],
  }),
  glue({
    name: "WNLI",
    splits: dir("WNLI", "train", "dev"),
    header: true,
    textA: "sentence1",
    textB: "sentence2",
    label: "label",
    labels: BINARY(),
    metrics: ["accuracy"],
  }),
];

/** The GLUE task names, in table order. */
export const GLUE_TASK_NAMES: readonly string[] = GLUE_TASKS.map((t) => t.name);

const normalise = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, "");

/** A GLUE task by name, ignoring case and punctuation ("sst2" finds SST-2); unknown names are an InputError. */
export function glueTask(name: string): TaskSpec {
  const spec = GLUE_TASKS.find((t) => normalise(t.name) === normalise(name));
  if (!spec) throw new InputError(`unknown GLUE task "${name}" (tasks: ${GLUE_TASK_NAMES.join(", ")})`);
  return structuredClone(spec);
}
