import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { App } from "cdktf";
import { synthAll } from "@polycloud/stacks";
import { PlatformStack } from "@polycloud/stacks";
import { referenceService } from "../../stacks/reference-service";
import { envByName } from "../helpers/synth";
import { CATALOGUE, applyEntry, catalogueTable } from "./catalogue";
import { readDocSection } from "../../scripts/doc-section";

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-catalogue-"));
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

test("the catalogue has at least 40 distinct bad inputs across every cloud", () => {
  expect(CATALOGUE.length).toBeGreaterThanOrEqual(40);
  expect(new Set(CATALOGUE.map((c) => c.what)).size).toBe(CATALOGUE.length);
  expect(new Set(CATALOGUE.map((c) => c.cloud))).toEqual(new Set(["aws", "gcp", "azure"]));
});

test.each(CATALOGUE.map((c, i) => [i + 1, c.cloud, c.what, c] as const))("#%i %s: %s", (i, cloud, _what, entry) => {
  const base = envByName(entry.base ?? "dev");
  const { env, service } = applyEntry(entry, base, referenceService);
  const dir = path.join(outdir, String(i));
  const app = new App({ outdir: dir });
  const name = `${base.name}-${cloud}`;
  new PlatformStack(app, name, { env, cloud, service });
  let message = "";
  try {
    synthAll(app);
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message.split("\n")).toContainEqual(expect.stringMatching(entry.message));
  // Nothing was written for the failing stack.
  expect(fs.existsSync(path.join(dir, "stacks", name, "cdk.tf.json"))).toBe(false);
});

test("docs/validation.md lists the catalogue (generated; run `npm run catalogue` after changing it)", () => {
  expect(readDocSection("catalogue")).toBe(catalogueTable());
});
