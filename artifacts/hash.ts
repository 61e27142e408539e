/**
 * Canonical JSON and the hashes built on it: equal values always hash alike, whatever their key order.
 */
import { sha256 } from "../util/fs.ts";

/** JSON with object keys sorted at every level (undefined fields dropped, as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
  );
}

/** Hex sha256 of a value's canonical JSON. */
export function hashOf(value: unknown): string {
  return sha256(canonicalJson(value));
}

/** Hex digits of a hash kept in folder names and keys. */
export const KEY_LENGTH = 16;

/** The short form of {@link hashOf} used as an artifact's key. */
export function keyOf(value: unknown): string {
  return hashOf(value).slice(0, KEY_LENGTH);
}

/** Dotted paths where two JSON values differ, e.g. ["lr: 0.001 vs 0.0005", "model.dModel: 256 vs 128"]. */
export function jsonDiff(a: unknown, b: unknown, path = ""): string[] {
  const isObject = (x: unknown): x is Record<string, unknown> => !!x && typeof x === "object" && !Array.isArray(x);
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => jsonDiff(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return canonicalJson(a) === canonicalJson(b)
    ? []
    : [`${path || "(root)"}: ${canonicalJson(a)} vs ${canonicalJson(b)}`];
}
