import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TerraformJson, writeStamp } from "@polycloud/core";
import { cartService } from "../../stacks/cart-service";
import { referenceService } from "../../stacks/reference-service";
import { devWithRemoteState, synthesizeComposition } from "../helpers/sample-json";
import { polycloud } from "../helpers/cli";

/**
 * An Azure environment applied before the Azure shared tier (a Service Bus namespace per service,
 * docs/shared-tier.md) against this synth: the plan guard, given the last applied state, refuses
 * the per-service namespaces' deletion (the queues move to the environment's namespace) until each
 * is allow-listed for the drain-then-apply migration, and nothing else of that state is deleted.
 */
let tmp: string;
beforeAll(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), "azure-tier-")); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const guard = (argv: string[]) => polycloud(["plan", "guard", ...argv], { env: { PATH: process.env.PATH } });

test("a state from before the Azure shared tier: the per-service namespaces are refused, allow-listed they pass; every other stateful address stays", async () => {
  const before = JSON.parse(fs.readFileSync(path.join(__dirname, "two-services.before-shared-tier.addresses.json"), "utf8"))["two-services/environment/dev-azure"] as string[];
  const prior = fs.mkdtempSync(path.join(tmp, "prior-"));
  fs.writeFileSync(path.join(prior, "dev-azure.tfstate"), JSON.stringify({ version: 4, resources: before.map((a) => ({ mode: "managed", type: a.split(".")[0], name: a.split(".")[1], instances: [{}] })) }));
  const pinned = (e: Parameters<typeof referenceService>[0]) => {
    const s = referenceService(e);
    return { ...s, databases: Object.fromEntries(Object.entries(s.databases ?? {}).map(([id, d]) => [id, { ...d, server: "own" as const }])) };
  };
  const json: TerraformJson = synthesizeComposition(devWithRemoteState("environment"), "azure", [pinned, cartService])["dev-azure"];
  const dir = fs.mkdtempSync(path.join(tmp, "out-"));
  fs.mkdirSync(path.join(dir, "stacks", "dev-azure"), { recursive: true });
  fs.writeFileSync(path.join(dir, "stacks", "dev-azure", "cdk.tf.json"), JSON.stringify(json));
  writeStamp(dir);

  const refused = await guard(["--output", dir, "--prior", prior]);
  expect(refused.code).toBe(1);
  const blocked = refused.stdout.split("\n").filter((l) => l.startsWith("BLOCKED"));
  expect(blocked).toEqual([
    expect.stringMatching(/^BLOCKED  dev-azure  .*azurerm_servicebus_namespace\.cart_servicebus_/),
    expect.stringMatching(/^BLOCKED  dev-azure  .*azurerm_servicebus_namespace\.orders_servicebus_/),
  ]);
  const namespaces = before.filter((a) => a.startsWith("azurerm_servicebus_namespace."));
  const allow = path.join(tmp, "allow.json");
  fs.writeFileSync(allow, JSON.stringify({ allow: namespaces.map((address) => ({ stack: "dev-azure", address, reason: "queues drained; they move to the environment's namespace (docs/shared-tier.md)" })) }));
  expect(await guard(["--output", dir, "--prior", prior, "--allow", allow])).toMatchObject({ code: 0 });
});
