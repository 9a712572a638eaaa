import * as pg from "pg";
import { databaseMigrations } from "@polycloud/core";
import { CloudImplementation, applyMigrations, closeDatabases, createPool, databases, idempotent, useCloudImplementation } from "@polycloud/runtime";
import { referenceService } from "../../stacks/reference-service";
import { envByName } from "../helpers/synth";
import { rdsAuthToken } from "../../modules/runtime/src/cloud-aws";
import { LocalPgBouncer, pgbouncerBinary, startPgBouncer, supportsProtocolPreparedStatements } from "../helpers/pgbouncer";
import { LocalPostgres, describeWithPostgres, startPostgres } from "../helpers/postgres";
// @ts-expect-error: plain ESM reference code without type declarations
import { handler as worker } from "../../stacks/reference/functions/worker/index.mjs";

/**
 * The runtime's database path against a real pooler: PostgreSQL behind PgBouncer in transaction
 * pooling mode on loopback, the function authenticating with an identity token as its password
 * (an RDS IAM token here), the reference worker run as repeated invocations, and idempotent()
 * under concurrent duplicate deliveries.
 */
const USER = "fn_worker";
let server: LocalPostgres;
let bouncer: LocalPgBouncer;
let token: string;
const tokenCalls: string[] = [];
const saved = { ...process.env };

const fakeAws = (): CloudImplementation => ({
  cloud: "aws",
  sendToQueue: async () => { throw new Error("not used"); },
  publishEvent: async () => { throw new Error("not used"); },
  databaseToken: async (ep) => { tokenCalls.push(ep.user); return token; },
});

const sqsBatch = (events: { id: string; order: string }[]) => ({
  Records: events.map((e, i) => ({
    messageId: `m-${e.id}-${i}`, body: JSON.stringify({ version: "0", id: e.id, "detail-type": "OrderCreated", source: "orders.api", time: "2026-11-28T12:00:00Z", resources: [], detail: { id: e.order, owner: "u-1", order: { id: e.order } } }),
    attributes: { ApproximateReceiveCount: "1" }, messageAttributes: {}, eventSource: "aws:sqs",
  })),
});

describeWithPostgres("@polycloud/runtime against PostgreSQL behind PgBouncer (transaction pooling)", () => {
  if (!pgbouncerBinary()) throw new Error("pgbouncer is not installed (apt-get install pgbouncer; .ci/run does)");

  beforeAll(async () => {
    server = await startPostgres();
    // The schema and the function's role come from the reference service's migrations, applied as
    // the admin the way the migration step applies them; the function role gets data access only.
    server.psql("CREATE ROLE platform_admin LOGIN CREATEROLE; CREATE DATABASE app OWNER platform_admin;");
    const admin = new pg.Client({ host: server.host, port: server.port, user: "platform_admin", database: "app" });
    await admin.connect();
    await applyMigrations(admin, { migrations: databaseMigrations(referenceService(envByName("dev")), "main").files, roles: [{ name: USER, create: "role" }] });
    await admin.end();
    // The token an RDS IAM signer makes for this endpoint: a few hundred bytes of SigV4 query string.
    token = await rdsAuthToken({ host: "127.0.0.1", port: 5432, user: USER }, { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", AWS_SESSION_TOKEN: "session-token-example", AWS_REGION: "us-east-1" });
    bouncer = await startPgBouncer(server, { database: "app", users: { [USER]: token }, poolSize: 2, maxPreparedStatements: 100 });
    Object.assign(process.env, {
      POLYCLOUD_CLOUD: "aws", POLYCLOUD_FUNCTION: "worker", DB_MAIN_HOST: "127.0.0.1", DB_MAIN_PORT: String(bouncer.port), DB_MAIN_NAME: "app", DB_MAIN_USER: USER, DB_MAIN_SSLMODE: "disable",
      // A configured password must never be used.
      PGPASSWORD: "configured-password-ignored",
    });
    useCloudImplementation(fakeAws());
  });

  afterAll(async () => {
    await closeDatabases();
    useCloudImplementation(undefined);
    process.env = saved;
    bouncer?.stop();
    server?.stop();
  });

  test("the token is the password: accepted through PgBouncer; a wrong token is refused", async () => {
    expect(token.length).toBeGreaterThan(300);
    expect(token).toMatch(/^127\.0\.0\.1:5432\/\?Action=connect&DBUser=fn_worker&X-Amz-Algorithm=AWS4-HMAC-SHA256&/);
    const pool = databases.main.connect();
    expect((await pool.query("SELECT current_user AS u")).rows[0].u).toBe(USER);
    const wrong = createPool("main", { token: async () => `${token}x` });
    await expect(wrong.query("SELECT 1")).rejects.toThrow(/password authentication failed|SASL/);
    await wrong.end();
  });

  test("TLS is required everywhere but a loopback pooler", () => {
    expect(() => createPool("main", {}, { ...process.env, DB_MAIN_HOST: "db.internal.example" })).toThrow(/sslmode disable is refused for db\.internal\.example/);
  });

  test("the reference worker stores orders across 30 simulated invocations on one pool: connections reused, none leaked", async () => {
    for (let i = 0; i < 30; i++) {
      const out = await worker(sqsBatch([{ id: `e-${i}`, order: `o-${i}` }, { id: `e-${i}`, order: `o-${i}` }]));
      expect(out).toEqual({ batchItemFailures: [] });
    }
    expect(server.psql("SELECT count(*) FROM orders", { database: "app" })).toBe("30");
    const pool = databases.main.connect();
    // At most the pool size of physical connections since the first test, each authenticated
    // once (one token per connection, not per query), all idle again.
    expect(pool.totalCount).toBeLessThanOrEqual(2);
    expect(pool.idleCount).toBe(pool.totalCount);
    expect(tokenCalls.length).toBe(pool.totalCount);
    const clients = bouncer.show("CLIENTS").filter((c) => c.user === USER);
    expect(clients.length).toBe(pool.totalCount);
    const servers = bouncer.show("SERVERS").filter((s) => s.user === USER);
    expect(servers.length).toBeLessThanOrEqual(2);
    expect(servers.every((s) => s.state === "idle" || s.state === "used")).toBe(true);
  });

  test("a poison message fails alone (partial batch response); the good one is stored", async () => {
    const spy = jest.spyOn(console, "error").mockImplementation(() => undefined);
    const batch = sqsBatch([{ id: "e-good", order: "o-good" }]);
    batch.Records.push({ ...batch.Records[0], messageId: "m-poison", body: JSON.stringify({ hello: "not an event" }) });
    expect(await worker(batch)).toEqual({ batchItemFailures: [{ itemIdentifier: "m-poison" }] });
    spy.mockRestore();
    expect(server.psql("SELECT count(*) FROM orders WHERE id = 'o-good'", { database: "app" })).toBe("1");
  });

  test("prepared statements under transaction pooling", async () => {
    // Unnamed extended-protocol statements (parameterised queries) parse and execute within one
    // transaction, so they survive any server connection: interleave two clients on two servers.
    const a = createPool("main", { max: 4 });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => a.query("SELECT $1::int * 2 AS v, $2::text AS t", [i, `x${i}`])));
    expect(results.map((r) => r.rows[0].v)).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
    // Named protocol-level statements need the pooler to track them (PgBouncer >= 1.21 with
    // max_prepared_statements); without that declaration the runtime refuses them loudly.
    await expect(a.query({ name: "get-order", text: "SELECT $1::text AS id", values: ["o-1"] })).rejects.toThrow(/named prepared statements \('get-order'\) are refused/);
    await a.end();
    if (supportsProtocolPreparedStatements(bouncer.version)) {
      const named = createPool("main", { max: 4 }, { ...process.env, DB_MAIN_PREPARED_STATEMENTS: "protocol" });
      const r = await Promise.all(Array.from({ length: 20 }, (_, i) => named.query({ name: "double", text: "SELECT $1::int * 2 AS v", values: [i] })));
      expect(r.map((x) => x.rows[0].v)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
      await named.end();
    } else {
      console.warn(`PgBouncer ${bouncer.version} < 1.21: protocol-level named prepared statements not exercised (the runtime refuses them)`);
    }
  });

  test("idempotent(): concurrent duplicate deliveries from several instances run the side effect exactly once per key", async () => {
    server.psql(`CREATE TABLE effects (key text PRIMARY KEY, n int NOT NULL); GRANT ALL ON effects TO ${USER};`, { database: "app" });
    // Five function instances, each with its own one-connection pool, behind the two server connections.
    const instances = Array.from({ length: 5 }, () => createPool("main", { max: 1 }));
    const runs: string[] = [];
    const deliveries = ["k1", "k2", "k3"].flatMap((key) => instances.map((pool, i) => ({ key, pool, i })));
    const results = await Promise.all(deliveries.map(({ key, pool }) => idempotent(key, async (tx) => {
      runs.push(key);
      await new Promise((r) => setTimeout(r, 20)); // widen the race
      await tx.query("INSERT INTO effects (key, n) VALUES ($1, 1) ON CONFLICT (key) DO UPDATE SET n = effects.n + 1", [key]);
      return { ranFor: key };
    }, { pool })));
    expect(runs.sort()).toEqual(["k1", "k2", "k3"]);
    expect(results.map((r) => r.ranFor)).toEqual(deliveries.map((d) => d.key));
    expect(server.psql("SELECT string_agg(key || '=' || n, ',' ORDER BY key) FROM effects", { database: "app" })).toBe("k1=1,k2=1,k3=1");
    // A failed attempt leaves no claim: the redelivery runs the side effect.
    await expect(idempotent("k4", async () => { throw new Error("downstream down"); }, { pool: instances[0] })).rejects.toThrow("downstream down");
    expect(await idempotent("k4", async () => "second try", { pool: instances[1] })).toBe("second try");
    expect(await idempotent("k4", async () => "third try", { pool: instances[2] })).toBe("second try");
    await Promise.all(instances.map((p) => p.end()));
    const servers = bouncer.show("SERVERS").filter((s) => s.user === USER);
    expect(servers.length).toBeLessThanOrEqual(2);
  });
});

