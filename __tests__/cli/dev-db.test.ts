import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SynthManifest, writeStamp } from "@polycloud/core";
import { runApp } from "@polycloud/stacks";
import { devStack, functionFolders, watchedFolders } from "../../modules/cli/src/commands/dev";
import { environments } from "../fixtures/sample/environments";
import { referenceService } from "../../stacks/reference-service";
import { cartService } from "../../stacks/cart-service";
import { polycloud } from "../helpers/cli";
import { describeWithPostgres, freePort, startPostgres, type LocalPostgres } from "../helpers/postgres";

/** `polycloud dev` and `polycloud db`: what they read from the synth manifest, and what they say when a part is missing. */
const dev = environments.find((e) => e.name === "dev")!;
let tmp: string;
let out: string;
let manifest: SynthManifest;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "polycloud-dev-db-"));
  out = path.join(tmp, "cdktf.out");
  const env = { ...dev, partitioning: "service" as const, clouds: { aws: dev.clouds.aws } };
  expect(await runApp({ environments: [env], services: (e) => [referenceService(e), { ...cartService(e), clouds: ["aws" as const] }] }, { outdir: out, out: () => undefined, err: () => undefined })).toBe(0);
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
  // And each database's migrations folder: a migration added while it runs is applied by the reload.
  expect(watchedFolders(manifest, "dev", "aws", "/p")).toEqual(["/p/stacks/reference/functions/api", "/p/stacks/reference/functions/worker", "/p/stacks/reference/migrations"]);
});

// A dev run itself (it starts the local runner and stays up) is not run here: the runner's own
// journeys cover the runner; this covers the verb's refusals.
test("dev refuses an unknown cloud before it synthesizes or starts anything (exit 2)", async () => {
  expect(await polycloud(["dev", "--cloud", "oci", "--output", out])).toMatchObject({ code: 2, stderr: expect.stringContaining("--cloud must be one of aws, gcp, azure") });
});

test("db roles reads the service from the last synthesis: the composition's database, not this repository's sample", async () => {
  // Partitioned: the migration step lives in the service's own stack.
  const roles = await polycloud(["db", "roles", "dev", "main", "--output", out]);
  expect(roles.code).toBe(0);
  expect(roles.stdout).toMatch(/^-- dev-aws-orders, database 'main'/);
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

test("db migrate refuses a bad --url or none before it connects", async () => {
  expect(await polycloud(["db", "migrate", "dev", "main", "--output", out])).toMatchObject({ code: 2, stderr: expect.stringContaining("required option '--url <url>' not specified") });
  expect(await polycloud(["db", "migrate", "dev", "main", "--url", "not a url", "--output", out])).toMatchObject({ code: 2, stderr: expect.stringContaining("is not a URL; allowed: postgres://") });
  expect(await polycloud(["db", "migrate", "dev", "main", "--url", "mysql://a@b/c", "--output", out])).toMatchObject({ code: 2, stderr: expect.stringContaining("--url has protocol mysql:; allowed: postgres: or postgresql:") });
});

// The admin is what the clouds give the step: a non-superuser that owns the database and may
// create roles (RDS's master user, Cloud SQL's IAM admin, Azure's Entra administrator).
describeWithPostgres("db migrate against a real PostgreSQL: the composition's migrations, as the deploy's step applies them", () => {
  let pg: LocalPostgres;
  let url: string;
  let folder: string;
  let badOut: string;
  const migrate = (argv: string[], output = out) => polycloud(["db", "migrate", "dev", "main", "--url", url, "--output", output, ...argv]);

  beforeAll(async () => {
    pg = await startPostgres();
    pg.psql(["CREATE ROLE platform_admin LOGIN CREATEROLE;", "CREATE DATABASE app OWNER platform_admin;"].join("\n"));
    url = `postgres://platform_admin@127.0.0.1:${pg.port}/app`;
    // A second composition whose migrations live in a folder the test changes.
    folder = path.join(tmp, "migrations");
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, "0001_items.sql"), "CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL);\n");
    fs.writeFileSync(path.join(folder, "0002_broken.sql"), "ALTER TABLE items ADD COLUMN price int;\nSELECT no_such_column FROM items;\n");
    badOut = path.join(tmp, "broken.out");
    const env = { ...dev, clouds: { aws: dev.clouds.aws } };
    const service = (e: typeof dev) => { const s = referenceService(e); return { ...s, databases: { main: { ...s.databases!.main, migrations: folder } } }; };
    expect(await runApp({ environments: [env], service }, { outdir: badOut, out: () => undefined, err: () => undefined })).toBe(0);
  });
  afterAll(() => pg?.stop());

  test("applies the runtime's migration, then the service's, each once, then the per-function roles of allowedFunctions", async () => {
    const first = await migrate(["--json"]);
    expect(first.stderr).toMatch(/db migrate: 2 file\(s\) on 127\.0\.0\.1:\d+\/app/);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      ok: true, service: "orders", database: "main",
      applied: ["polycloud-runtime/0001_idempotency.sql", "service/0001_orders.sql"], unchanged: [], missing: [], roles: ["fn_api", "fn_worker"], revoked: [],
    });
    expect(pg.psql("SELECT id FROM polycloud.schema_migrations ORDER BY id", { database: "app" }).split("\n")).toEqual(["polycloud-runtime/0001_idempotency.sql", "service/0001_orders.sql"]);
    // Again: nothing new, the text form.
    const again = await migrate([]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe([
      "unchanged  polycloud-runtime/0001_idempotency.sql", "unchanged  service/0001_orders.sql", "role       fn_api", "role       fn_worker",
      `orders/main on 127.0.0.1:${pg.port}/app: 0 applied, 2 already applied`, "",
    ].join("\n"));
  });

  test("a function role writes the service's tables and creates nothing", () => {
    pg.psql("ALTER ROLE fn_api PASSWORD NULL;");
    const ok = pg.tryPsql("INSERT INTO orders (owner, body) VALUES ('u1', '{}') RETURNING owner;", { user: "fn_api", database: "app" });
    expect(ok).toMatchObject({ ok: true, stdout: "u1" });
    const create = pg.tryPsql("CREATE TABLE evil (id int);", { user: "fn_api", database: "app" });
    expect(create.ok).toBe(false);
    expect(create.stderr).toMatch(/permission denied for schema public/);
  });

  test("a failing file exits 1 with its line and the database's message, and leaves nothing of itself; a changed applied file stops the next run", async () => {
    const failed = await migrate(["--json"], badOut);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout)).toMatchObject({ ok: false, error: expect.stringMatching(/migration service\/0002_broken\.sql failed at line 2 and was rolled back .*column "no_such_column" does not exist/) });
    expect(failed.stderr).toMatch(/db migrate: migration service\/0002_broken\.sql failed at line 2/);
    expect(pg.psql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'price'", { database: "app" })).toBe("0");
    expect(pg.psql("SELECT id FROM polycloud.schema_migrations WHERE id LIKE 'service/0001_items%'", { database: "app" })).toBe("service/0001_items.sql");

    fs.writeFileSync(path.join(folder, "0002_broken.sql"), "ALTER TABLE items ADD COLUMN price int;\n");
    fs.appendFileSync(path.join(folder, "0001_items.sql"), "-- edited\n");
    const changed = await migrate([], badOut);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/migration service\/0001_items\.sql was changed after it was applied/);
    expect(pg.psql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'price'", { database: "app" })).toBe("0");
  });

  test("a database whose roles a cloud's step manages is refused before anything runs (exit 2)", async () => {
    pg.psql("CREATE DATABASE cloudlike OWNER platform_admin;");
    pg.psql("CREATE SCHEMA polycloud; CREATE TABLE polycloud.managed_roles (name text PRIMARY KEY, created_by_step boolean NOT NULL); INSERT INTO polycloud.managed_roles VALUES ('orders-dev-api-fn@polycloud-dev-0001.iam', false);", { user: "platform_admin", database: "cloudlike" });
    const refused = await polycloud(["db", "migrate", "dev", "main", "--url", `postgres://platform_admin@127.0.0.1:${pg.port}/cloudlike`, "--output", out]);
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringContaining("has roles a cloud's migration step manages (orders-dev-api-fn@polycloud-dev-0001.iam)") });
    expect(pg.psql("SELECT to_regclass('polycloud.schema_migrations') IS NULL", { database: "cloudlike" })).toBe("t");
  });

  test("a server that does not answer is a connection error naming where and who (exit 2)", async () => {
    const closed = `postgres://platform_admin@127.0.0.1:${await freePort()}/app`;
    expect(await polycloud(["db", "migrate", "dev", "main", "--url", closed, "--output", out])).toMatchObject({ code: 2, stderr: expect.stringContaining("db migrate: cannot connect to 127.0.0.1:") });
  });
});
