import { assertEquals, assertThrows } from "@std/assert";
import { join } from "node:path";
import { columnIndex, decodeUtf8, parseTsv, readTsv, splitLines } from "../data/tsv.ts";
import { InputError } from "../util/errors.ts";

Deno.test("quotes are text, not delimiters: no quote character", () => {
  const text = 'sentence\tlabel\n"Hi," she said, "it\'s \ta"\t1\n';
  // The second row has 3 fields because the tab inside the quotes still splits it: quotes protect nothing.
  assertThrows(
    () => parseTsv(text, "q.tsv", { header: true }),
    InputError,
    "q.tsv:2: 3 tab-separated columns, expected 2",
  );
  const ok = parseTsv('sentence\tlabel\n"Hi," she said, "it\'s"\t1\n', "q.tsv", { header: true });
  assertEquals(ok.rows, [{ line: 2, fields: ['"Hi," she said, "it\'s"', "1"] }]);
});

Deno.test("header, CRLF line ends, byte-order mark and a last line without newline", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "msr.txt");
  // The MSR paraphrase files start with a UTF-8 BOM and may use CRLF.
  const bytes = new TextEncoder().encode("\ufeffQuality\t#1 String\r\n1\tA\r\n0\tB");
  await Deno.writeFile(path, bytes);
  const table = await readTsv(path, { header: true });
  assertEquals(table.header, ["Quality", "#1 String"]);
  assertEquals(table.rows, [{ line: 2, fields: ["1", "A"] }, { line: 3, fields: ["0", "B"] }]);
  assertEquals(columnIndex(table, "Quality"), 0);
});

Deno.test("splitLines keeps empty fields and drops only trailing blank lines", () => {
  assertEquals(splitLines("a\t\n\tb\n\n"), ["a\t", "\tb"]);
  assertEquals(splitLines(""), []);
});

Deno.test("no header: width from the option, columns by index", () => {
  const table = parseTsv("gj04\t1\t\tThe sailors rode.\ngj04\t0\t*\tRode.\n", "cola.tsv", {
    header: false,
    columns: 4,
  });
  assertEquals(table.rows.map((r) => r.fields[3]), ["The sailors rode.", "Rode."]);
  assertEquals(columnIndex(table, 3), 3);
  assertThrows(() => columnIndex(table, 4), InputError, "cola.tsv: column index 4 out of range: rows have 4 columns");
  assertThrows(() => columnIndex(table, "sentence"), InputError, "no header row");
});

Deno.test("wrong column count names file, line and what was expected", () => {
  const text = "a\tb\tc\n1\t2\t3\n1\t2\n";
  assertThrows(
    () => parseTsv(text, "x.tsv", { header: true }),
    InputError,
    "x.tsv:3: 2 tab-separated columns, expected 3 (a, b, c)",
  );
  assertThrows(
    () => parseTsv(text, "x.tsv", { header: true, columns: 4 }),
    InputError,
    "x.tsv:1: header has 3 columns, expected 4",
  );
  assertThrows(
    () => parseTsv("1\t2\n1\t2\t3\n", "y.tsv", { header: false }),
    InputError,
    "y.tsv:2: 3 tab-separated columns, expected 2",
  );
});

Deno.test("broken rows are skipped and counted when asked", () => {
  const text = "id\tq1\tq2\tlabel\n1\ta\tb\t0\n2\ta\tb 1\n3\ta\tb\t1\n\n5\tx\ty\t0\n";
  const table = parseTsv(text, "qqp.tsv", { header: true, skipBrokenRows: true });
  assertEquals(table.rows.map((r) => r.line), [2, 4, 6]);
  assertEquals(table.skipped, [3, 5]);
});

Deno.test("a missing header column names the file and the columns it has", () => {
  const table = parseTsv("sentence\tlabel\nx\t1\n", "sst.tsv", { header: true });
  assertThrows(
    () => columnIndex(table, "sentence1"),
    InputError,
    'sst.tsv:1: no column "sentence1" in the header (columns: sentence, label)',
  );
});

Deno.test("non-UTF-8 bytes are an InputError naming file and line", async () => {
  const bytes = new Uint8Array([...new TextEncoder().encode("a\tb\nc\td\n"), 0x65, 0xff, 0x66, 0x0a, 0x67]);
  assertThrows(() => decodeUtf8(bytes, "bad.tsv"), InputError, "bad.tsv:3: not valid UTF-8");
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(join(dir, "bad.tsv"), bytes);
  let message = "";
  try {
    await readTsv(join(dir, "bad.tsv"), { header: true });
  } catch (e) {
    message = (e as Error).message;
  }
  assertEquals(message, `${join(dir, "bad.tsv")}:3: not valid UTF-8 (expected UTF-8 text)`);
  // A multi-byte character is valid; a truncated one at the end of the file is not.
  assertEquals(decodeUtf8(new TextEncoder().encode("é\n中"), "ok.tsv"), "é\n中");
  assertThrows(() => decodeUtf8(new Uint8Array([0x61, 0x0a, 0xe4, 0xb8]), "cut.tsv"), InputError, "cut.tsv:2");
});

Deno.test("a missing file and an empty file with a header are InputErrors", async () => {
  const dir = await Deno.makeTempDir();
  let message = "";
  try {
    await readTsv(join(dir, "nope.tsv"), { header: true });
  } catch (e) {
    message = (e as Error).message;
  }
  assertEquals(message, `${join(dir, "nope.tsv")}: file not found`);
  assertThrows(
    () => parseTsv("", "empty.tsv", { header: true }),
    InputError,
    "empty.tsv:1: empty file, expected a header row",
  );
  assertThrows(() => parseTsv("a\ta\n", "dup.tsv", { header: true }), InputError, 'header names column "a" twice');
});
