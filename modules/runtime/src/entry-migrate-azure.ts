// The migration step on Azure: a Function App (Flex Consumption) in the VNet whose user-assigned
// identity is the PostgreSQL server's Entra administrator. The deploy's post-apply step calls its
// HTTP trigger with an Entra token of the deploying identity, the only caller App Service
// authentication admits on this app (no function key exists for it).
import { app } from "@azure/functions";
import { entraToken } from "./cloud-azure";
import { tlsFor } from "./database";
import { DatabaseEndpoint } from "./env";
import { MigrationError, MigrationRole } from "./migrate";
import { runMigrationStep } from "./migrate-step";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const pgModule = (): typeof import("pg") => require("pg");

const token = () => entraToken("https://ossrdbms-aad.database.windows.net");

/**
 * Creates the Entra principal of a function's managed identity (role name = the identity's name,
 * bound to its object id), connected to the `postgres` database where Azure's pgaadauth functions
 * live, when the role does not exist yet.
 */
export async function createEntraPrincipal(role: MigrationRole, ep: DatabaseEndpoint, password: () => Promise<string> = token): Promise<void> {
  if (!role.objectId || !/^[0-9a-f-]{36}$/i.test(role.objectId)) throw new MigrationError(`Entra role ${role.name} needs the identity's object id, not ${JSON.stringify(role.objectId)}`);
  const client = new (pgModule().Client)({ host: ep.host, port: ep.port, database: "postgres", user: ep.user, password: await password(), ssl: tlsFor(ep), connectionTimeoutMillis: 60_000 });
  await client.connect();
  try {
    const exists = (await client.query("SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1", [role.name])).rowCount === 1;
    if (!exists) await client.query("SELECT * FROM pgaadauth_create_principal_with_oid($1, $2, 'service', false, false)", [role.name, role.objectId]);
  } finally {
    await client.end().catch(() => undefined);
  }
}

app.http("migrate", {
  methods: ["POST"],
  // App Service authentication in front of the host admits the deploying identity only.
  authLevel: "anonymous",
  route: "migrate",
  handler: async () => {
    try {
      const result = await runMigrationStep({ password: token, ensureRole: (role, ep) => createEntraPrincipal(role, ep) });
      return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(result) };
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "migration step failed", error: (err as Error).message }));
      return { status: 500, headers: { "content-type": "application/json" }, body: JSON.stringify({ error: (err as Error).message }) };
    }
  },
});
