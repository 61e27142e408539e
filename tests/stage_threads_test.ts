import { assertEquals, assertThrows } from "@std/assert";
import { describeStageThreads, resolveStageThreads } from "../pipeline/stage_threads.ts";
import { validateProfile } from "../pipeline/profile.ts";

const SMOKE = JSON.parse(await Deno.readTextFile(new URL("../profiles/smoke.json", import.meta.url)));

Deno.test("stage threads: OPENBLAS_NUM_THREADS wins, then the profile capped at the cores, else one", () => {
  assertEquals(resolveStageThreads(2, "3", 2), { threads: 3, source: "OPENBLAS_NUM_THREADS", capped: false });
  assertEquals(resolveStageThreads(null, "4", 2), { threads: 4, source: "OPENBLAS_NUM_THREADS", capped: false });
  assertEquals(resolveStageThreads(2, undefined, 16), { threads: 2, source: "profile", capped: false });
  assertEquals(resolveStageThreads(4, undefined, 2), { threads: 2, source: "profile", capped: true });
  assertEquals(resolveStageThreads(null, undefined, 16), { threads: 1, source: "default", capped: false });
  // A value OpenBLAS would not take is not a setting: the profile decides.
  for (const junk of ["", "0", "-1", "1.5", "two"]) {
    assertEquals(resolveStageThreads(2, junk, 8), { threads: 2, source: "profile", capped: false }, junk);
  }
  assertEquals(
    describeStageThreads(resolveStageThreads(4, undefined, 2), 4),
    "2 threads (profile asks 4, this machine has 2 cores)",
  );
  assertEquals(describeStageThreads(resolveStageThreads(null, undefined, 2), null), "1 thread (default)");
});

Deno.test("profile threads: absent is null, a positive integer is kept, anything else names the key", () => {
  assertEquals(validateProfile(SMOKE, "smoke.json").threads, null);
  assertEquals(validateProfile({ ...SMOKE, threads: 2 }, "smoke.json").threads, 2);
  for (const bad of [0, 1.5, "2"]) {
    const e = assertThrows(() => validateProfile({ ...SMOKE, threads: bad }, "smoke.json"));
    assertEquals((e as Error).message.includes("threads"), true, (e as Error).message);
  }
});
