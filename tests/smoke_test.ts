import { assertEquals } from "@std/assert";
import { sha256 } from "../util/fs.ts";
Deno.test("sha256 of abc matches the FIPS 180-2 test vector", () => {
  assertEquals(sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});
