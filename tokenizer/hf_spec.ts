/**
 * Reading the parts of a Hugging Face tokenizer.json: each component is a JSON object with a `type`;
 * errors name the file and the component's place in it (`pre_tokenizer.pretokenizers[1]`).
 */
import { InputError } from "../util/errors.ts";

/** One component of tokenizer.json, as parsed. */
export type Spec = Record<string, unknown>;

/** Where a component sits: the file and the JSON path to it. */
export interface Where {
  file: string;
  path: string;
}

/** `value` as an object, or an InputError naming `where`. */
export function asSpec(value: unknown, where: Where): Spec {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InputError(`${where.path}: expected an object, got ${JSON.stringify(value)}`, where.file);
  }
  return value as Spec;
}

/** The place of a field or list item under `where`. */
export function child(where: Where, key: string | number): Where {
  return { file: where.file, path: typeof key === "number" ? `${where.path}[${key}]` : `${where.path}.${key}` };
}

/** An InputError for a component type this reader does not implement. */
export function unsupported(spec: Spec, where: Where, known: readonly string[]): InputError {
  return new InputError(
    `${where.path}: type ${JSON.stringify(spec.type)} is not supported (supported: ${known.join(", ")})`,
    where.file,
  );
}

/** A string field (a default when absent or null, else required). */
export function stringField(spec: Spec, key: string, where: Where, fallback?: string): string {
  const v = spec[key] ?? fallback;
  if (typeof v !== "string") {
    throw new InputError(`${where.path}.${key}: expected a string, got ${JSON.stringify(spec[key])}`, where.file);
  }
  return v;
}

/** A boolean field (a default when absent or null). */
export function booleanField(spec: Spec, key: string, where: Where, fallback: boolean): boolean {
  const v = spec[key] ?? fallback;
  if (typeof v !== "boolean") {
    throw new InputError(`${where.path}.${key}: expected true or false, got ${JSON.stringify(spec[key])}`, where.file);
  }
  return v;
}

/** A list field. */
export function listField(spec: Spec, key: string, where: Where): unknown[] {
  const v = spec[key];
  if (!Array.isArray(v)) throw new InputError(`${where.path}.${key}: expected a list`, where.file);
  return v;
}

/**
 * A `{"String": s}` or `{"Regex": r}` pattern as a global unicode RegExp. Hugging Face compiles
 * regexes with Oniguruma; a pattern JavaScript cannot compile (possessive quantifiers, say) is an
 * InputError naming it.
 */
export function patternRegex(value: unknown, where: Where): RegExp {
  const p = asSpec(value, where);
  if (typeof p.String === "string") return new RegExp(escapeRegex(p.String), "gu");
  if (typeof p.Regex === "string") {
    try {
      return new RegExp(p.Regex, "gu");
    } catch (e) {
      throw new InputError(
        `${where.path}: regex ${JSON.stringify(p.Regex)} does not compile in JavaScript (${(e as Error).message})`,
        where.file,
      );
    }
  }
  throw new InputError(`${where.path}: expected {"String": ...} or {"Regex": ...}`, where.file);
}

/** `s` as a regex that matches it literally. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&"); // the syntax characters: the only escapes a "u" regex allows
}
