/**
 * A reproduction on a fresh machine: the smoke profile with an empty data cache, started once, fetches
 * the evaluation files it needs from a local server standing in for the canonical hosts and finishes
 * with a report. LAMBADA is served as ../shared/data has it, byte-identical to the canonical file, and
 * is checked against the hash data/sources.ts pins, and so are the BLiMP files the smoke profile scores;
 * RTE's canonical zip is not in the mirror, so the
 * server zips the mirror's RTE files and the test's download table pins that zip's hash instead. The
 * multilingual section is left out (`multilingual=null`): its Debian text packages are fetched with
 * apt, not through this downloader. Needs ../shared/data; ignored without it.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { zipSync } from "fflate";
import { readDataManifest } from "../data/cache.ts";
import { SOURCES } from "../data/sources.ts";
import { initBackend } from "../backends/mod.ts";
import { loadProfile } from "../pipeline/profile.ts";
import { reproduce } from "../pipeline/reproduce.ts";
import { parseResultsCsv } from "../results/rows.ts";
import { exists, sha256, sha256File } from "../util/fs.ts";
import { SHARED_DATA_DIR } from "../util/paths.ts";
import { fixtureServer } from "./http_fixture.ts";

const RTE = ["glue/RTE/train.tsv", "glue/RTE/dev.tsv"];
const LAMBADA = "lambada/lambada_test.jsonl";
const BLIMP = ["blimp/adjunct_island.jsonl", "blimp/determiner_noun_agreement_1.jsonl"];
const mirrored = (await Promise.all([...RTE, LAMBADA, ...BLIMP].map((f) => exists(join(SHARED_DATA_DIR, f)))))
  .every(Boolean);

Deno.test({
  name:
    "reproduce --profile smoke on an empty data cache fetches RTE, LAMBADA and BLiMP from a local server, then finishes" +
    (mirrored ? "" : " (ignored: needs ../shared/data)"),
  ignore: !mirrored,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const read = (f: string) => Deno.readFile(join(SHARED_DATA_DIR, f));
    const rteZip = zipSync({ "RTE/train.tsv": await read(RTE[0]), "RTE/dev.tsv": await read(RTE[1]) });
    const lambada = await read(LAMBADA);
    const server = fixtureServer({
      "/RTE.zip": { body: rteZip },
      "/lambada_test.jsonl": { body: lambada },
      ...Object.fromEntries(
        await Promise.all(BLIMP.map(async (f) => [`/${f.slice("blimp/".length)}`, { body: await read(f) }])),
      ),
    });
    const cache = await Deno.makeTempDir({ prefix: "empty-cache-" });
    const out = await Deno.makeTempDir({ prefix: "reproduce-fetch-" });
    try {
      const { profile, file, text } = await loadProfile("smoke", ["multilingual=null"]);
      const sources = SOURCES.map((s) => s.name === "RTE" ? { ...s, sha256: sha256(rteZip), bytes: rteZip.length } : s);
      const lines: string[] = [];
      const summary = await reproduce({
        profile,
        profileFile: file,
        profileText: text,
        outDir: out,
        cacheDir: cache,
        backend: await initBackend(profile.backend),
        quiet: true,
        data: { sources, baseUrls: { glue: `${server.base}/`, lambada: `${server.base}/`, blimp: `${server.base}/` } },
        log: (l) => lines.push(l),
      });
      const log = lines.join("\n");
      assertStringIncludes(
        log,
        `data cache ${cache} lacks 5 file(s); fetching RTE, lambada, adjunct_island, determiner_noun_agreement_1`,
      );
      // One request per download, no other host asked.
      assertEquals(server.requests.map((r) => r.path), [
        "/RTE.zip",
        "/lambada_test.jsonl",
        "/adjunct_island.jsonl",
        "/determiner_noun_agreement_1.jsonl",
      ]);
      const manifest = await readDataManifest(cache);
      for (const f of [...RTE, LAMBADA, ...BLIMP]) {
        assertEquals(manifest.get(f)?.sha256, await sha256File(join(SHARED_DATA_DIR, f)));
      }
      assertEquals(manifest.get(LAMBADA)?.sha256, SOURCES.find((s) => s.name === "lambada")!.sha256);

      assert(summary.ran.length > 0 && summary.skipped.length === 0, JSON.stringify(summary));
      for (const f of ["results.csv", "summary.csv", "report.md", "manifest.json"]) {
        assert(await exists(join(out, f)), `${f} written`);
      }
      const rows = parseResultsCsv(await Deno.readTextFile(join(out, "results.csv")), "results.csv");
      assertEquals([...new Set(rows.map((r) => r.task))].sort(), [
        "blimp",
        "blimp_adjunct_island",
        "blimp_adjunct_island_lmft",
        "blimp_determiner_noun_agreement_1",
        "blimp_determiner_noun_agreement_1_lmft",
        "blimp_lmft",
        "bpb",
        "bpb_lmft",
        "lambada_openai",
        "lambada_openai_lmft",
        "rte",
      ]);
      const record = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
      assertEquals(record.data.files[RTE[0]], await sha256File(join(SHARED_DATA_DIR, RTE[0])));
    } finally {
      await server.close();
      await Deno.remove(cache, { recursive: true });
      await Deno.remove(out, { recursive: true });
    }
  },
});
