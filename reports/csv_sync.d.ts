/**
 * The slice of csv-parse/sync and csv-stringify/sync that rows.ts uses. Their own typings start with
 * `/// <reference types="node" />`, which puts @types/node into every type check that reaches them and
 * breaks deps/std_assert.ts against node:assert's typings there; these declarations avoid that.
 */
/** csv-parse's synchronous parse (records as string arrays; with `info: true`, `{ record, info }` objects). */
export function parse(input: string, options?: Record<string, unknown>): unknown[];
/** csv-stringify's synchronous stringify. */
export function stringify(records: unknown[][], options?: { header?: boolean; columns?: string[] }): string;
