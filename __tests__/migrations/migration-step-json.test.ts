import { Cloud, DATABASE_ADMIN_STEP_ONLY, DATABASE_TLS_VERIFIED, ServiceSpec } from "@polycloud/core";
import { referenceService } from "../../stacks/reference-service";
import { cartService } from "../../stacks/cart-service";
import { SynthJson, envByName, synthPlatform } from "../helpers/synth";
import { App, Testing } from "cdktf";
import { PlatformStack } from "@polycloud/stacks";

/**
 * The migration step in each cloud's synthesized JSON, for the reference service and for two
 * services with a database each side by side: the run (aws_lambda_invocation, the Cloud Run job,
 * the Azure post-apply step) comes before every function that connects to the database (in the
 * closure of its references and depends_on), runs the step inside the network, and the admin
 * identity is the step's alone (policy PC008), TLS verified everywhere (PC018).
 */
type Graph = Map<string, Set<string>>;

/** address → the addresses it references or depends on (directly). */
function graph(json: SynthJson): Graph {
  const g: Graph = new Map();
  for (const [type, byName] of Object.entries(json.resource)) {
    for (const [name, body] of Object.entries(byName)) {
      const text = JSON.stringify(body);
      const edges = new Set<string>();
      for (const m of text.matchAll(/\$\{(?:data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)[.}[]/g)) edges.add(`${m[1]}.${m[2]}`);
      for (const d of (body as any).depends_on ?? []) edges.add(String(d).replace(/^\$\{|\}$/g, ""));
      g.set(`${type}.${name}`, edges);
    }
  }
  return g;
}

function closure(g: Graph, from: string): Set<string> {
  const seen = new Set<string>();
  const todo = [...(g.get(from) ?? [])];
  while (todo.length) {
    const a = todo.pop()!;
    if (seen.has(a)) continue;
    seen.add(a);
    todo.push(...(g.get(a) ?? []));
  }
  return seen;
}

const entries = (json: SynthJson, type: string) => Object.entries(json.resource[type] ?? {}) as [string, any][];
const envOf = (cloud: Cloud, body: any): Record<string, string> =>
  cloud === "aws" ? body.environment?.variables ?? {} : cloud === "gcp" ? body.service_config?.environment_variables ?? {} : body.app_settings ?? {};
const FUNCTION_TYPE: Record<Cloud, string> = { aws: "aws_lambda_function", gcp: "google_cloudfunctions2_function", azure: "azurerm_function_app_flex_consumption" };
const RUN_TYPE: Record<Cloud, string> = { aws: "aws_lambda_invocation", gcp: "google_cloud_run_v2_job", azure: "terraform_data" };

/** The run resource of each database's step, by database id, and the functions that connect to it. */
function steps(cloud: Cloud, json: SynthJson) {
  const fns = entries(json, FUNCTION_TYPE[cloud]).map(([name, body]) => ({ address: `${FUNCTION_TYPE[cloud]}.${name}`, body, env: envOf(cloud, body) }));
  const runs = entries(json, RUN_TYPE[cloud]).filter(([, b]) => cloud !== "azure" || JSON.stringify(b).includes("/api/migrate"));
  return fns.filter((f) => f.env.POLYCLOUD_MIGRATE_DATABASE).map((step) => {
    const run = runs.find(([, b]) => JSON.stringify(b).includes(step.address.split(".")[1]) || JSON.stringify(b).includes(`${step.address}.`));
    expect(run).toBeDefined();
    const service = step.address.split(".")[1].split("_")[0];
    const prefix = `DB_${step.env.POLYCLOUD_MIGRATE_DATABASE.toUpperCase()}_`;
    const clients = fns.filter((f) => !f.env.POLYCLOUD_MIGRATE_DATABASE && f.env[`${prefix}HOST`] && f.address.split(".")[1].startsWith(`${service}_`));
    return { step, run: `${RUN_TYPE[cloud]}.${run![0]}`, runBody: run![1], clients };
  });
}

function checkOrder(cloud: Cloud, json: SynthJson): string[] {
  const g = graph(json);
  const problems: string[] = [];
  for (const s of steps(cloud, json)) {
    if (s.clients.length === 0) problems.push(`${s.run}: no function connects to its database`);
    for (const c of s.clients) if (!closure(g, c.address).has(s.run)) problems.push(`${c.address} does not wait for ${s.run}`);
    if (!closure(g, s.run).has(s.step.address)) problems.push(`${s.run} does not run ${s.step.address}`);
  }
  return problems;
}

function withDatabase(service: ServiceSpec): ServiceSpec {
  // The cart service with a database of its own, its checkout worker allowed to connect.
  return { ...service, databases: { carts: { postgresVersion: "16", size: "small", allowedFunctions: ["checkout"], migrations: "stacks/reference/migrations" } } };
}

function synthServices(cloud: Cloud, services: ServiceSpec[]): SynthJson {
  const env = envByName("dev");
  const stack = new PlatformStack(Testing.app() as App, `dev-${cloud}`, { env, cloud, services });
  return JSON.parse(Testing.synth(stack)) as SynthJson;
}

describe.each<Cloud>(["aws", "gcp", "azure"])("%s: the migration step in the synthesized JSON", (cloud) => {
  const dev = synthPlatform(envByName("dev"), undefined, cloud).json;
  const prod = synthPlatform(envByName("prod"), undefined, cloud).json;
  const two = synthServices(cloud, [referenceService(envByName("dev")), withDatabase(cartService(envByName("dev")))]);
  const policy = (json: SynthJson) => ({ name: `dev-${cloud}`, cloud, environment: "dev", json: json as any });

  test("runs before every function that connects to the database (reference service, dev and prod)", () => {
    expect(steps(cloud, dev)).toHaveLength(1);
    expect(steps(cloud, dev)[0].clients.map((c) => c.address.split(".")[1].split("_")[1])).toEqual(["fn-api", "fn-worker"]);
    expect(checkOrder(cloud, dev)).toEqual([]);
    expect(checkOrder(cloud, prod)).toEqual([]);
  });

  test("two services with a database each: one step per database, each before its own functions only", () => {
    const s = steps(cloud, two);
    expect(s.map((x) => x.step.env.POLYCLOUD_MIGRATE_DATABASE).sort()).toEqual(["carts", "main"]);
    expect(s.find((x) => x.step.env.POLYCLOUD_MIGRATE_DATABASE === "carts")!.clients.map((c) => c.address.split(".")[1].split("_")[1])).toEqual(["fn-checkout"]);
    expect(checkOrder(cloud, two)).toEqual([]);
    expect(DATABASE_ADMIN_STEP_ONLY.check(policy(two))).toEqual([]);
    expect(DATABASE_TLS_VERIFIED.check(policy(two))).toEqual([]);
  });

  test("the order check can fail: without the dependency a function no longer waits", () => {
    const broken = JSON.parse(JSON.stringify(dev));
    const [s] = steps(cloud, broken);
    const [type, name] = s.clients[0].address.split(".");
    broken.resource[type][name].depends_on = (broken.resource[type][name].depends_on ?? []).filter((d: string) => !d.startsWith(RUN_TYPE[cloud]));
    expect(checkOrder(cloud, broken)).toEqual([`${s.clients[0].address} does not wait for ${s.run}`]);
  });

  test("the admin identity is the step's alone and every database client verifies TLS (PC008, PC018)", () => {
    for (const json of [dev, prod]) {
      expect(DATABASE_ADMIN_STEP_ONLY.check(policy(json))).toEqual([]);
      expect(DATABASE_TLS_VERIFIED.check(policy(json))).toEqual([]);
    }
  });

  test("the step runs inside the network, as the admin, against the server (not the pooler), TLS verified", () => {
    const [s] = steps(cloud, prod);
    expect(s.step.env).toMatchObject({ DB_MAIN_PORT: "5432", DB_MAIN_SSLMODE: "verify-full", DB_MAIN_SSLROOTCERT: expect.any(String), POLYCLOUD_MIGRATE_DATABASE: "main" });
    const roles = JSON.parse(s.step.env.POLYCLOUD_MIGRATE_ROLES);
    expect(roles).toHaveLength(2);
    if (cloud === "aws") {
      expect(s.step.body.vpc_config.subnet_ids).toHaveLength(2);
      expect(s.step.env.DB_MAIN_HOST).toMatch(/^\$\{aws_rds_cluster\.[^}]+\.endpoint\}$/);
      expect(s.step.env).toMatchObject({ DB_MAIN_USER: "platform_admin", DB_MAIN_PASSWORD_SECRET_ARN: expect.stringMatching(/master_user_secret\[0\]\.secret_arn/) });
      expect(s.runBody).toMatchObject({ qualifier: expect.stringMatching(/\.version\}$/), triggers: { migrations: expect.stringMatching(/^[0-9a-f]{64}$/), package: expect.stringMatching(/^[0-9a-f]{64}$/) } });
      // Only the step's role reads the master secret; the proxy has no auth entry.
      const readers = entries(prod, "aws_iam_role_policy").filter(([, p]) => /master_user_secret/.test(p.policy)).map(([, p]) => p.role);
      expect(readers).toEqual([expect.stringMatching(/orders_db-main-migrate_fn_role/)]);
      expect(Object.values<any>(prod.resource.aws_db_proxy).every((p) => p.auth === undefined)).toBe(true);
      // On the shared server (the default) a role is named after its service too: fn_<service>_<function>.
      expect(roles).toEqual([{ name: "fn_orders_api", create: "role", memberOf: ["rds_iam"] }, { name: "fn_orders_worker", create: "role", memberOf: ["rds_iam"] }]);
    } else if (cloud === "gcp") {
      expect(s.step.body.service_config).toMatchObject({ ingress_settings: "ALLOW_INTERNAL_ONLY", vpc_connector: expect.stringMatching(/vpc_access_connector/), vpc_connector_egress_settings: "PRIVATE_RANGES_ONLY" });
      expect(s.runBody).toMatchObject({ provider: "google-beta", deletion_protection: false, run_execution_token: expect.stringMatching(/^\$\{time_static\.[^}]+\.unix\}$/) });
      expect(s.runBody.template.template).toMatchObject({ max_retries: 0, vpc_access: { egress: "ALL_TRAFFIC" }, service_account: expect.stringMatching(/runner-sa/) });
      // The runner may invoke the step, nothing else; nobody else may invoke it.
      const invokers = entries(prod, "google_cloud_run_v2_service_iam_member").filter(([, m]) => m.name.includes(s.step.address.split(".")[1]));
      expect(invokers.map(([, m]) => [m.role, m.member])).toEqual([["roles/run.invoker", expect.stringMatching(/runner-sa/)]]);
      expect(roles.every((r: any) => r.create === "existing")).toBe(true);
    } else {
      expect(s.step.body.virtual_network_subnet_id).toMatch(/subnet/);
      expect(s.runBody.provisioner[0]["local-exec"]).toMatchObject({ interpreter: ["bash", "-c"], environment: { DATABASE: "main", HOST: expect.stringMatching(/default_hostname/) } });
      expect(s.runBody.triggers_replace).toMatchObject({ migrations: expect.stringMatching(/^[0-9a-f]{64}$/), package: expect.stringMatching(/^[0-9a-f]{64}$/) });
      const admin = Object.values<any>(prod.resource.azurerm_postgresql_flexible_server_active_directory_administrator);
      expect(admin).toHaveLength(1);
      expect(admin[0].object_id).toMatch(/azurerm_user_assigned_identity\.orders_db-main-migrate_fn_identity_[^.]+\.principal_id/);
      expect(roles.every((r: any) => r.create === "entra" && /principal_id/.test(r.objectId))).toBe(true);
    }
  });
});
