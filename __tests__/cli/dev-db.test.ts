import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SynthManifest, writeStamp } from "@polycloud/core";
import { runApp } from "@polycloud/stacks";
import { devStack, functionFolders } from "../../modules/cli/src/commands/dev";
import { environments } from "../../environments";
import { referenceService } from "../../stacks/reference-service";
import { cartService } from "../../stacks/cart-service";
import { polycloud } from "../helpers/cli";

/** `polycloud dev` and `polycloud db`: what they read from the synth manifest, and what they say when a part is missing. */
const dev = environments.find((e) => e.name === "dev")!;
let tmp: string;
let out: string;
let manifest: SynthManifest;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-dev-db-"));
  out = path.join(tmp, "cdktf.out");
  const env = { ...dev, partitioning: "service" as const, clouds: { aws: dev.clouds.aws } };
  expect(runApp({ environments: [env], services: (e) => [referenceService(e), { ...cartService(e), clouds: ["aws" as const] }] }, { outdir: out, out: () => undefined, err: () => undefined })).toBe(0);
  manifest = JSON.parse(fs.readFileSync(path.join(out, "polycloud-composition.json"), "utf8"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("dev picks the stack that runs a service, or asks which; it watches the function folders the composition names", () => {
  expect(() => devStack(manifest, "dev", "aws")).toThrow(/choose a stack with --stack \(dev-aws-orders, dev-aws-cart\)/);
  expect(devStack(manifest, "dev", "aws", "dev-aws-cart")).toBe("dev-aws-cart");
  expect(() => devStack(manifest, "dev", "aws", "dev-aws-shared2")).toThrow(/--stack dev-aws-shared2 is not a stack of dev on aws/);
  expect(() => devStack(manifest, "dev", "gcp")).toThrow(/dev renders no service on gcp/);
  const one = { ...manifest, stacks: Object.fromEntries(Object.entries(manifest.stacks).filter(([n]) => n !== "dev-aws-cart")) };
  expect(devStack(one, "dev", "aws")).toBe("dev-aws-orders");
  expect(functionFolders(manifest, "dev", "aws", "/p")).toEqual(["/p/stacks/reference/functions/api", "/p/stacks/reference/functions/worker"]);
});

test("dev without the local runner installed says so and exits 2", async () => {
  expect(await polycloud(["dev", "--cloud", "aws", "--output", out])).toMatchObject({ code: 2, stderr: expect.stringContaining("dev is not available in this version") });
  expect(await polycloud(["dev", "--cloud", "oci", "--output", out])).toMatchObject({ code: 2, stderr: expect.stringContaining("--cloud must be one of aws, gcp, azure") });
});

test("db roles reads the service from the last synthesis: the composition's database, not this repository's sample", async () => {
  const roles = await polycloud(["db", "roles", "dev", "main", "--output", out]);
  expect(roles.code).toBe(0);
  expect(roles.stdout).toMatch(/CREATE ROLE|GRANT/);
  expect(await polycloud(["db", "roles", "dev", "nope", "--output", out])).toMatchObject({ code: 2, stderr: expect.stringContaining("no service in dev declares a database 'nope' (orders: main; cart: none)") });
  expect(await polycloud(["db", "roles", "qa", "main", "--output", out])).toMatchObject({ code: 2, stderr: expect.stringContaining("no environment 'qa' in the last synthesis (dev)") });
  expect(await polycloud(["db", "roles", "dev", "main", "--service", "cart", "--output", out])).toMatchObject({ code: 2, stderr: expect.stringContaining("no database 'main' in service 'cart'") });
  // Stale output is refused like everywhere else.
  const stale = path.join(tmp, "stale");
  fs.cpSync(out, stale, { recursive: true });
  fs.writeFileSync(path.join(stale, "polycloud-sources.json"), JSON.stringify({ sources: "0".repeat(64) }));
  expect(await polycloud(["db", "roles", "dev", "main", "--output", stale])).toMatchObject({ code: 2, stderr: expect.stringContaining("was synthesized from other sources") });
  writeStamp(stale);
});

test("db migrate without applyMigrations in the runtime says so and exits 2", async () => {
  expect(await polycloud(["db", "migrate", "dev", "main", "--url", "postgres://admin@127.0.0.1:5432/app", "--output", out])).toMatchObject({ code: 2, stderr: expect.stringContaining("db migrate is not available in this version") });
  expect(await polycloud(["db", "migrate", "dev", "main", "--output", out])).toMatchObject({ code: 2, stderr: expect.stringContaining("required option '--url <url>' not specified") });
});
