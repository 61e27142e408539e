/**
 * Model configurations are data: JSON files in models/configs/ (or any path), validated on load.
 * The FLOP counter and the model are both built from the same `ModelConfig`.
 */
import { join } from "node:path";
import { InputError } from "../util/errors.ts";
import { REPO_ROOT } from "../util/paths.ts";

/** The architectures the model code builds. */
export const ARCHS = ["encoder", "decoder"] as const;
export type Arch = typeof ARCHS[number];

/** A transformer's shape. `tieHead`: the softmax head reuses the input embedding E (logits = h Eᵀ). */
export interface ModelConfig {
  name: string;
  arch: Arch;
  layers: number;
  dModel: number;
  heads: number;
  dFF: number;
  vocabSize: number;
  context: number;
  tieHead: boolean;
}

/** Where the named configurations live. */
export const CONFIG_DIR: string = join(REPO_ROOT, "models", "configs");

/** Token ids 0..4 are special ([PAD] [CLS] [SEP] [MASK] <|endoftext|>); a vocabulary needs more. */
const MIN_VOCAB = 6;

const INT_FIELDS = ["layers", "dModel", "heads", "dFF", "vocabSize", "context"] as const;
const FIELDS = ["name", "arch", ...INT_FIELDS, "tieHead"];

/** The names of the configurations in models/configs/. */
export function modelConfigNames(): string[] {
  return [...Deno.readDirSync(CONFIG_DIR)]
    .filter((e) => e.isFile && e.name.endsWith(".json"))
    .map((e) => e.name.slice(0, -".json".length))
    .sort();
}

/**
 * Loads a named configuration (`pythia-70m`) or a JSON file (anything with a `/` or ending in .json),
 * applies `overrides` (e.g. `{ vocabSize }` from the tokenizer), and validates the result.
 */
export function loadModelConfig(nameOrPath: string, overrides: Partial<ModelConfig> = {}): ModelConfig {
  const isPath = nameOrPath.includes("/") || nameOrPath.endsWith(".json");
  const file = isPath ? nameOrPath : join(CONFIG_DIR, `${nameOrPath}.json`);
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new InputError(
      isPath
        ? "model config file not found"
        : `no model config named ${JSON.stringify(nameOrPath)}; known: ${modelConfigNames().join(", ")}`,
      file,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InputError(`not valid JSON: ${(e as Error).message}`, file, jsonErrorLine(text, e as Error));
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new InputError("expected a JSON object with the model config fields", file, 1);
  }
  return validateModelConfig({ ...raw, ...overrides }, file, text);
}

/**
 * Checks every field of a config; errors name `file` and, when `text` is given, the field's line.
 * Returns a clean copy holding exactly the config fields.
 */
export function validateModelConfig(raw: Record<string, unknown>, file = "<model config>", text?: string): ModelConfig {
  const fail = (key: string, expected: string): never => {
    throw new InputError(`${key}: expected ${expected}, got ${JSON.stringify(raw[key])}`, file, lineOfKey(text, key));
  };
  for (const key of Object.keys(raw)) {
    if (!FIELDS.includes(key)) {
      throw new InputError(
        `unknown field ${JSON.stringify(key)}; expected only ${FIELDS.join(", ")}`,
        file,
        lineOfKey(text, key),
      );
    }
  }
  if (typeof raw.name !== "string" || raw.name === "") fail("name", "a non-empty string");
  if (!(ARCHS as readonly unknown[]).includes(raw.arch)) fail("arch", `one of ${ARCHS.join(", ")}`);
  for (const key of INT_FIELDS) {
    if (!Number.isSafeInteger(raw[key]) || (raw[key] as number) <= 0) fail(key, "a positive integer");
  }
  if (typeof raw.tieHead !== "boolean") fail("tieHead", "true or false");
  const c = raw as unknown as ModelConfig;
  if (c.dModel % c.heads !== 0) fail("heads", `a divisor of dModel (${c.dModel})`);
  if (c.vocabSize < MIN_VOCAB) fail("vocabSize", `at least ${MIN_VOCAB} (ids 0-4 are special tokens)`);
  return {
    name: c.name,
    arch: c.arch,
    layers: c.layers,
    dModel: c.dModel,
    heads: c.heads,
    dFF: c.dFF,
    vocabSize: c.vocabSize,
    context: c.context,
    tieHead: c.tieHead,
  };
}

/** The 1-based line where `"key"` first appears in `text`, if any. */
function lineOfKey(text: string | undefined, key: string): number | undefined {
  const at = text?.indexOf(`"${key}"`) ?? -1;
  return at < 0 ? undefined : text!.slice(0, at).split("\n").length;
}

/** The line of a JSON.parse error, from V8's "(line N column M)" or "at position N". */
function jsonErrorLine(text: string, e: Error): number | undefined {
  const line = e.message.match(/line (\d+)/);
  if (line) return Number(line[1]);
  const pos = e.message.match(/position (\d+)/);
  return pos ? text.slice(0, Number(pos[1])).split("\n").length : undefined;
}
