import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Cloud, databaseMigrations, packageMigrationStep } from "@polycloud/core";
import { referenceService } from "../../stacks/reference-service";
import { envByName, synthPlatform } from "../helpers/synth";
import { onServer } from "../helpers/shared-tier";
import { LocalPostgres, describeWithPostgres, startPostgres } from "../helpers/postgres";
import { TestCa, issueServerCert, makeCa } from "../helpers/tls-certs";

/**
 * Each cloud's migration step as that cloud runs it: the archive the stack uploads, unpacked and
 * loaded the way the platform loads it (Lambda: `index.handler`; GCP: the Functions Framework with
 * entry point `handler`; Azure: the v4 registrations through a stand-in for the worker), with the
 * environment the synthesized JSON gives it (apply-time references replaced by this machine's
 * values), against a real PostgreSQL that serves TLS with a CA no store trusts, so the step's
 * verify-full is exercised too. Each cloud's admin and identity pieces are emulated: AWS's master
 * secret (Secrets Manager's JSON API), GCP's metadata token and Cloud SQL Admin API (the first-run
 * bootstrap user), Azure's managed-identity endpoint and pgaadauth_create_principal_with_oid.
 */
const root = path.resolve(__dirname, "../..");
const FF = path.join(root, "node_modules", "@google-cloud", "functions-framework", "build", "src", "main.js");
const AZURE_HOST = path.join(__dirname, "..", "runtime", "fixtures", "azure-host.cjs");
const AZURE_CORE_STUB = path.join(__dirname, "..", "runtime", "fixtures", "azure-core-stub");
// The reference service's database on a server of its own (`server: "own"`): the step's names below
// are that server's. On the shared server (the default) the same packages run in the journeys
// (__tests__/journeys/side-by-side.test.ts) and shared-server.test.ts.
const service = onServer("own", referenceService)(envByName("dev"));
const children: ChildProcess[] = [];

/** The step's environment in the synthesized JSON of dev-<cloud>. */
function stepEnvironment(cloud: Cloud): Record<string, string> {
  const r = synthPlatform(envByName("dev"), service, cloud).json.resource as any;
  const all: Record<string, string>[] = cloud === "aws"
    ? Object.values<any>(r.aws_lambda_function).map((f) => f.environment.variables)
    : cloud === "gcp"
      ? Object.values<any>(r.google_cloudfunctions2_function).map((f) => f.service_config.environment_variables)
      : Object.values<any>(r.azurerm_function_app_flex_consumption).map((f) => f.app_settings);
  const step = all.filter((e) => e.POLYCLOUD_MIGRATE_DATABASE === "main");
  expect(step).toHaveLength(1);
  return step[0];
}

/** Replaces exactly the apply-time references, and fails if one is left. */
function resolve(env: Record<string, string>, values: Record<string, string>): Record<string, string> {
  const out = { ...env, ...values };
  for (const [k, v] of Object.entries(out)) if (/\$\{/.test(v)) throw new Error(`${k} still holds a Terraform reference: ${v}`);
  return out;
}

function unpack(cloud: Cloud): string {
  const pkg = packageMigrationStep(cloud, databaseMigrations(service, "main"));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `polycloud-step-${cloud}-`));
  execFileSync("unzip", ["-q", pkg.path, "-d", dir]);
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A loopback HTTP server answering with `handle`; records each request. */
async function fake(handle: (req: http.IncomingMessage, body: string) => Promise<[number, unknown]> | [number, unknown]) {
  const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => { body += d; });
    req.on("end", async () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const [status, out] = await handle(req, body);
      // The metadata server's clients check it answers as Google's.
      res.writeHead(status, { "content-type": "application/json", "metadata-flavor": "Google" });
      res.end(typeof out === "string" ? out : JSON.stringify(out));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  // Keep-alive connections of the step's clients would hold the server (and the test worker) open.
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, seen, close: () => { server.closeAllConnections(); server.close(); } };
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH!, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => { out += d; });
  child.stderr!.on("data", (d) => { err += d; });
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, out, err })));
}

/** Starts a server process and resolves once `ready` matches a stdout line. */
function serve(args: string[], env: Record<string, string>, ready: RegExp): Promise<string[]> {
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH!, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const lines: string[] = [];
  let err = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready: ${lines.join("\n")}\n${err}`)), 20000);
    child.stderr!.on("data", (d) => { err += d; });
    child.stdout!.on("data", (d) => {
      for (const line of String(d).split("\n").filter(Boolean)) {
        lines.push(line);
        if (ready.test(line)) { clearTimeout(timer); resolve(lines); }
      }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${lines.join("\n")}\n${err}`)); });
  });
}

/**
 * One request on a connection of its own (no keep-alive pool): a pooled socket the server closes
 * after its keep-alive timeout can be picked for the next request on a loaded machine ("other side closed").
 */
function call(url: string, method: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers: body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function post(url: string): Promise<{ status: number; body: any }> {
  const res = await call(url, "POST", "{}");
  return { status: res.status, body: JSON.parse(res.text) };
}

describeWithPostgres("each cloud's packaged migration step, run as that cloud runs it, against PostgreSQL over verified TLS", () => {
  let pg: LocalPostgres;
  let ca: TestCa;
  const common = () => ({ DB_MAIN_HOST: "127.0.0.1", DB_MAIN_PORT: String(pg.port), DB_MAIN_SSLROOTCERT: ca.certFile });
  const sql = (database: string, text: string) => pg.psql(text, { database });
  const as = (user: string, database: string, text: string) => pg.tryPsql(text, { user, database });

  beforeAll(async () => {
    ca = makeCa("migration test root");
    // One server for the three clouds: the certificate names 127.0.0.1 (AWS, Azure check the host)
    // and carries Cloud SQL's instance name as its CN (GCP checks that).
    pg = await startPostgres({ ssl: issueServerCert(ca, "server", "polycloud-dev-0001:orders-dev-main", ["IP:127.0.0.1"]) });
  });
  afterAll(() => {
    children.forEach((c) => c.kill());
    pg?.stop();
  });

  test("AWS: the Lambda handler reads the master password from the secret (SigV4-signed GetSecretValue) and applies everything", async () => {
    // RDS: the master user owns the database and may create roles; rds_iam exists.
    pg.psql("CREATE ROLE rds_iam NOLOGIN; CREATE ROLE platform_admin LOGIN CREATEROLE; GRANT rds_iam TO platform_admin WITH ADMIN OPTION; CREATE DATABASE aws_app OWNER platform_admin;");
    const secrets = await fake((_req, body) => [200, { ARN: JSON.parse(body).SecretId, SecretString: JSON.stringify({ username: "platform_admin", password: "from-the-secret" }) }]);
    const dir = unpack("aws");
    expect(fs.readdirSync(path.join(dir, "migrations")).sort()).toEqual(["index.json", "polycloud-runtime", "service"]);
    const env = resolve(stepEnvironment("aws"), {
      ...common(), DB_MAIN_NAME: "aws_app", DB_MAIN_PASSWORD_SECRET_ARN: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:rds!cluster-1",
    });
    expect(env).toMatchObject({ DB_MAIN_USER: "platform_admin", DB_MAIN_SSLMODE: "verify-full", POLYCLOUD_MIGRATE_ROLES: JSON.stringify([{ name: "fn_api", create: "role", memberOf: ["rds_iam"] }, { name: "fn_worker", create: "role", memberOf: ["rds_iam"] }]) });
    const lambda = { ...env, AWS_REGION: "eu-west-1", AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "session", AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url };
    const invoke = `require(${JSON.stringify(dir)}).handler({ polycloud: "migrate" }).then((r) => console.log(JSON.stringify(r)), (e) => { console.log(JSON.stringify({ errorMessage: e.message })); process.exit(1); })`;
    const first = await run(["-e", invoke], lambda);
    expect(first.err).toBe("");
    expect(JSON.parse(first.out.trim().split("\n").pop()!)).toMatchObject({ database: "main", applied: ["polycloud-runtime/0001_idempotency.sql", "service/0001_orders.sql"], roles: ["fn_api", "fn_worker"] });
    expect(secrets.seen).toHaveLength(1);
    expect(secrets.seen[0].headers).toMatchObject({ "x-amz-target": "secretsmanager.GetSecretValue", authorization: expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/secretsmanager\/aws4_request/) });
    expect(JSON.parse(secrets.seen[0].body)).toEqual({ SecretId: "arn:aws:secretsmanager:eu-west-1:111111111111:secret:rds!cluster-1" });
    // Again: nothing to do.
    const second = await run(["-e", invoke], lambda);
    expect(JSON.parse(second.out.trim().split("\n").pop()!)).toMatchObject({ applied: [], unchanged: ["polycloud-runtime/0001_idempotency.sql", "service/0001_orders.sql"] });
    expect(as("fn_api", "aws_app", "INSERT INTO orders (owner, body) VALUES ('sub-1', '{}');").ok).toBe(true);
    expect(as("fn_api", "aws_app", "CREATE TABLE evil (id int);").stderr).toMatch(/permission denied for schema public/);
    // The wrong CA: the step refuses the server (what the cloud's function gets as its error).
    const wrong = await run(["-e", invoke], { ...lambda, DB_MAIN_SSLROOTCERT: makeCa("other").certFile });
    expect(wrong.code).toBe(1);
    expect(wrong.out).toMatch(/"errorMessage":"cannot connect to database 'main' at 127\.0\.0\.1:\d+ as platform_admin: .*(self[- ]signed|unable to (get|verify))/);
    secrets.close();
  });

  test("GCP: the Functions Framework entry point; the first run bootstraps the admin IAM user through a temporary cloudsqlsuperuser member", async () => {
    const admin = "orders-dev-main-migrate-fn@polycloud-dev-0001.iam";
    // Cloud SQL: cloudsqlsuperuser owns the database; IAM users are login roles without privileges.
    pg.psql([
      "CREATE ROLE cloudsqlsuperuser NOLOGIN CREATEROLE CREATEDB;",
      "CREATE DATABASE gcp_app OWNER cloudsqlsuperuser;",
      // Another service's function on the same (shared) instance.
      ...[admin, "orders-dev-api-fn@polycloud-dev-0001.iam", "orders-dev-worker-fn@polycloud-dev-0001.iam", "shopcart-dev-cart-fn@polycloud-dev-0001.iam"].map((u) => `CREATE ROLE "${u}" LOGIN;`),
    ].join("\n"));
    const metadata = await fake((req) => (req.headers["metadata-flavor"] === "Google" ? [200, { access_token: "ya29.step-token", expires_in: 3600, token_type: "Bearer" }] : [403, "no"]));
    const adminApi = await fake((req) => {
      const users = /\/projects\/polycloud-dev-0001\/instances\/orders-dev-main\/users/.test(req.url!);
      if (req.headers.authorization !== "Bearer ya29.step-token") return [401, { error: "no token" }];
      if (users && req.method === "POST") { pg.psql("CREATE ROLE polycloud_bootstrap LOGIN IN ROLE cloudsqlsuperuser;"); return [200, { name: "op-insert", status: "PENDING" }]; }
      if (users && req.method === "DELETE") { pg.psql("DROP ROLE polycloud_bootstrap;"); return [200, { name: "op-delete", status: "DONE" }]; }
      if (/\/operations\/op-insert$/.test(req.url!)) return [200, { name: "op-insert", status: "DONE" }];
      return [404, { error: req.url }];
    });
    const dir = unpack("gcp");
    expect(JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).dependencies).toEqual({ "@google-cloud/functions-framework": expect.any(String) });
    const env = resolve(stepEnvironment("gcp"), {
      ...common(), DB_MAIN_NAME: "gcp_app", DB_MAIN_USER: admin, DB_MAIN_SSLROOTCERT: ca.pem,
      // Non-prod instance names end in their creation time (a time_static): this instance's name.
      DB_MAIN_SSLSERVERNAME: "polycloud-dev-0001:orders-dev-main", POLYCLOUD_CLOUDSQL_INSTANCE: "polycloud-dev-0001:orders-dev-main",
      // Set by Cloud Run; here they point at the emulations.
      GCE_METADATA_HOST: metadata.url.replace("http://", ""), CLOUDSQL_ADMIN_ENDPOINT: `${adminApi.url}/v1`,
    });
    expect(stepEnvironment("gcp")).toMatchObject({ DB_MAIN_SSLMODE: "verify-full", DB_MAIN_SSLSERVERNAME: expect.stringMatching(/^polycloud-dev-0001:orders-dev-main-\$\{time_static\.[^}]+\.unix\}$/) });
    expect(stepEnvironment("gcp").POLYCLOUD_CLOUDSQL_INSTANCE).toBe(stepEnvironment("gcp").DB_MAIN_SSLSERVERNAME);
    const port = await freePort();
    await serve([FF, "--target=handler", `--source=${dir}`, `--port=${port}`], env, /^URL: /);
    const first = await post(`http://127.0.0.1:${port}/`);
    expect(first).toMatchObject({ status: 200, body: { applied: ["polycloud-runtime/0001_idempotency.sql", "service/0001_orders.sql"], roles: ["orders-dev-api-fn@polycloud-dev-0001.iam", "orders-dev-worker-fn@polycloud-dev-0001.iam"] } });
    expect(adminApi.seen.map((r) => `${r.method} ${r.url.replace(/\?.*/, "")}`)).toEqual([
      "POST /v1/projects/polycloud-dev-0001/instances/orders-dev-main/users",
      "GET /v1/projects/polycloud-dev-0001/operations/op-insert",
      "DELETE /v1/projects/polycloud-dev-0001/instances/orders-dev-main/users",
    ]);
    expect(JSON.parse(adminApi.seen[0].body)).toMatchObject({ name: "polycloud_bootstrap", type: "BUILT_IN", password: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(pg.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'polycloud_bootstrap'")).toBe("0");
    expect(sql("gcp_app", "SELECT tableowner FROM pg_tables WHERE tablename = 'orders'")).toBe(admin);
    // The second run finds the privileges in place: no bootstrap, nothing applied.
    const second = await post(`http://127.0.0.1:${port}/`);
    expect(second).toMatchObject({ status: 200, body: { applied: [], unchanged: ["polycloud-runtime/0001_idempotency.sql", "service/0001_orders.sql"] } });
    expect(adminApi.seen).toHaveLength(3);
    expect(as("orders-dev-worker-fn@polycloud-dev-0001.iam", "gcp_app", "INSERT INTO orders (owner, body) VALUES ('s', '{}'); SELECT count(*) FROM orders;").ok).toBe(true);
    expect(as("orders-dev-worker-fn@polycloud-dev-0001.iam", "gcp_app", "CREATE TEMP TABLE t (id int);").stderr).toMatch(/permission denied to create temporary tables/);
    // The bootstrap closed the database to PUBLIC: another service's IAM user on the same (shared) instance cannot connect.
    expect(as("shopcart-dev-cart-fn@polycloud-dev-0001.iam", "gcp_app", "SELECT 1;").stderr).toMatch(/permission denied for database "gcp_app"/);
    // Anything but POST is refused.
    expect((await call(`http://127.0.0.1:${port}/`, "GET")).status).toBe(405);
    metadata.close();
    adminApi.close();
  });

  test("Azure: the v4 HTTP registration (App Service authentication guards the host); the step creates each function's Entra principal, then applies everything", async () => {
    const admin = "orders-dev-main-migrate-xxxx-id";
    // Flexible Server: the Entra administrator may create roles; pgaadauth lives in `postgres`.
    pg.psql([
      `CREATE ROLE "${admin}" LOGIN CREATEROLE;`,
      `CREATE DATABASE azure_app OWNER "${admin}";`,
      "CREATE TABLE pgaadauth_principals (role text PRIMARY KEY, oid text NOT NULL, kind text NOT NULL);",
      "CREATE FUNCTION pgaadauth_create_principal_with_oid(role text, oid text, kind text, is_admin boolean, is_mfa boolean) RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS $$ BEGIN EXECUTE format('CREATE ROLE %I LOGIN', role); INSERT INTO pgaadauth_principals VALUES (role, oid, kind); RETURN 'Created role for ' || role; END $$;",
      `GRANT EXECUTE ON FUNCTION pgaadauth_create_principal_with_oid(text, text, text, boolean, boolean) TO "${admin}";`,
    ].join("\n"));
    const identity = await fake((req) => (req.headers["x-identity-header"] === "secret-header" ? [200, { access_token: "entra-token", expires_on: String(Math.floor(Date.now() / 1000) + 3600) }] : [401, "no"]));
    const dir = unpack("azure");
    expect(JSON.parse(fs.readFileSync(path.join(dir, "host.json"), "utf8")).extensions.http.routePrefix).toBe("api");
    const roles = [
      { name: "orders-dev-api-xxxx-id", create: "entra", objectId: "00000000-0000-4000-8000-000000000001" },
      { name: "orders-dev-worker-xxxx-id", create: "entra", objectId: "00000000-0000-4000-8000-000000000002" },
    ];
    const env = resolve(stepEnvironment("azure"), {
      ...common(), DB_MAIN_NAME: "azure_app", DB_MAIN_USER: admin, POLYCLOUD_MIGRATE_ROLES: JSON.stringify(roles),
      // Set by the Functions host on Azure; here they point at the emulation.
      IDENTITY_ENDPOINT: `${identity.url}/msi/token`, IDENTITY_HEADER: "secret-header", AZURE_CLIENT_ID: "client-id",
      AzureWebJobsStorage__clientId: "client-id", KEY_VAULT_URI: "https://vault", APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "x", AzureWebJobsStorage__accountName: "x", PLATFORM_PACKAGE_SHA256: "x",
    });
    const lines = await serve([AZURE_HOST, dir], { ...env, NODE_PATH: AZURE_CORE_STUB }, /^\{"port"/);
    const registrations = JSON.parse(lines[0]).registrations;
    expect(registrations.map((r: any) => r.name)).toEqual(["migrate"]);
    expect(Object.values(registrations[0].bindings)).toContainEqual(expect.objectContaining({ type: "httpTrigger", authLevel: "anonymous", methods: ["POST"], route: "migrate" }));
    const port = JSON.parse(lines.find((l) => l.startsWith('{"port"'))!).port;
    const first = await post(`http://127.0.0.1:${port}/api/migrate`);
    expect(first).toMatchObject({ status: 200, body: { applied: ["polycloud-runtime/0001_idempotency.sql", "service/0001_orders.sql"], roles: roles.map((r) => r.name) } });
    expect(pg.psql("SELECT string_agg(role || '=' || oid || '/' || kind, ',' ORDER BY role) FROM pgaadauth_principals")).toBe("orders-dev-api-xxxx-id=00000000-0000-4000-8000-000000000001/service,orders-dev-worker-xxxx-id=00000000-0000-4000-8000-000000000002/service");
    expect(identity.seen[0].url).toMatch(/resource=https%3A%2F%2Fossrdbms-aad\.database\.windows\.net.*client_id=client-id|client_id=client-id.*resource=https%3A%2F%2Fossrdbms-aad/);
    const second = await post(`http://127.0.0.1:${port}/api/migrate`);
    expect(second).toMatchObject({ status: 200, body: { applied: [] } });
    expect(as("orders-dev-api-xxxx-id", "azure_app", "SELECT count(*) FROM orders;").ok).toBe(true);
    expect(as("orders-dev-api-xxxx-id", "azure_app", "ALTER TABLE orders ADD COLUMN x int;").stderr).toMatch(/must be owner of table orders/);
    identity.close();
  });

  test("a failing migration answers with the database's error and leaves nothing (the GCP job and the Azure post-apply step fail on it)", async () => {
    pg.psql("CREATE DATABASE fail_app OWNER platform_admin;");
    const secrets = await fake(() => [200, { SecretString: JSON.stringify({ password: "x" }) }]);
    const dir = unpack("aws");
    // A broken migration next to the packaged ones, as a changed folder would ship it.
    fs.mkdirSync(path.join(dir, "migrations", "service"), { recursive: true });
    const broken = "CREATE TABLE payments (id int);\nINSERT INTO payments VALUES ('not a number');\n";
    fs.writeFileSync(path.join(dir, "migrations", "service", "0002_payments.sql"), broken);
    const index = JSON.parse(fs.readFileSync(path.join(dir, "migrations", "index.json"), "utf8"));
    index.push({ id: "service/0002_payments.sql", file: "service/0002_payments.sql", checksum: createHash("sha256").update(broken).digest("hex") });
    fs.writeFileSync(path.join(dir, "migrations", "index.json"), JSON.stringify(index));
    const env = resolve(stepEnvironment("aws"), { ...common(), DB_MAIN_NAME: "fail_app", DB_MAIN_PASSWORD_SECRET_ARN: "arn:x" });
    const invoke = `require(${JSON.stringify(dir)}).handler({}).then((r) => console.log(JSON.stringify(r)), (e) => { console.log(JSON.stringify({ errorMessage: e.message })); process.exit(1); })`;
    const r = await run(["-e", invoke], { ...env, AWS_REGION: "eu-west-1", AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b", AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out.trim().split("\n").pop()!).errorMessage).toBe(`migration service/0002_payments.sql failed at line 2 and was rolled back (nothing of it is applied): invalid input syntax for type integer: "not a number"; SQLSTATE 22P02`);
    expect(sql("fail_app", "SELECT to_regclass('public.payments') IS NULL")).toBe("t");
    expect(sql("fail_app", "SELECT string_agg(id, ',' ORDER BY id) FROM polycloud.schema_migrations")).toBe("polycloud-runtime/0001_idempotency.sql,service/0001_orders.sql");
    secrets.close();
  });
});

