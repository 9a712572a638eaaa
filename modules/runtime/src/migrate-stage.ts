import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { privateCacheDir } from "./cache-dir";
import { digest } from "./stage";
import { cloudPackageFiles, contentName, writeStagedFolder } from "./staged-files";
import { Cloud } from "./types";

/** One migration file as it goes into the step's package. */
export interface PackagedMigration {
  /** `<source>/<file>`: the key in polycloud.schema_migrations. */
  readonly id: string;
  readonly sql: string;
  readonly checksum: string;
}

/** The runtime's own migrations (the idempotency table), in the order they run. */
export function runtimeMigrationsDir(): string {
  return path.join(__dirname, "..", "migrations");
}

const bundles = new Map<Cloud, string>();
type Stamp = ReturnType<typeof digest>;

/**
 * The step's code for one cloud: entry-migrate-<cloud> with pg, bundled once per process, and
 * reused across processes while every file esbuild read has the same content (checked by size and
 * mtime, else by SHA-256), as function bundles are.
 */
function bundle(cloud: Cloud): string {
  const hit = bundles.get(cloud);
  if (hit) return hit;
  const key = createHash("sha256").update(`${__filename}\0${cloud}`).digest("hex").slice(0, 32);
  const record = path.join(privateRoot(), "bundles", `${key}.json`);
  try {
    const prior = JSON.parse(fs.readFileSync(record, "utf8")) as { stamps: Record<string, Stamp>; text: string };
    const stamps = Object.entries(prior.stamps ?? {});
    if (stamps.length > 0 && typeof prior.text === "string" && stamps.every(([f, st]) => { try { return digest(f, st).sha === st.sha; } catch { return false; } })) {
      bundles.set(cloud, prior.text);
      return prior.text;
    }
  } catch {
    // no usable record: bundle
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  const ext = path.extname(__filename); // .ts under the tests, .js when built
  const result = esbuild.buildSync({
    entryPoints: [path.join(__dirname, `entry-migrate-${cloud}${ext}`)],
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    legalComments: "none",
    write: false,
    external: ["pg-native", "cloudflare:sockets", ...(cloud === "azure" ? ["@azure/functions-core", "@azure/identity"] : [])],
    define: { "process.env.NODE_ENV": '"production"' },
    metafile: true,
    logLevel: "silent",
  });
  const text = result.outputFiles[0].text;
  const inputs = Object.keys(result.metafile!.inputs).map((i) => path.resolve(i)).filter((f) => fs.existsSync(f));
  fs.mkdirSync(path.dirname(record), { recursive: true, mode: 0o700 });
  const tmp = `${record}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ stamps: Object.fromEntries(inputs.map((f) => [f, digest(f)])), text }));
  fs.renameSync(tmp, record);
  bundles.set(cloud, text);
  return text;
}

/** The per-user cache (0700, owner checked): the staged package is trusted as it is zipped. */
const privateRoot = () => privateCacheDir("migration-steps");

/**
 * The files of a migration step's package for `cloud`: the bundled step (Lambda handler
 * `index.handler`; Functions Framework entry point `handler`; Azure v4 `app.http("migrate")` with
 * host.json), `migrations/index.json` and the SQL files.
 */
export function migrationStepFiles(cloud: Cloud, migrations: readonly PackagedMigration[]): Record<string, string> {
  const files: Record<string, string> = { "index.js": bundle(cloud) };
  const index = migrations.map((m) => {
    const file = m.id.split("/").map((p) => p.replace(/[^A-Za-z0-9._-]/g, "_")).join("/");
    if (createHash("sha256").update(m.sql).digest("hex") !== m.checksum) throw new Error(`migration ${m.id}: checksum does not match its SQL`);
    files[`migrations/${file}`] = m.sql;
    return { id: m.id, file, checksum: m.checksum };
  });
  files["migrations/index.json"] = `${JSON.stringify(index, null, 2)}\n`;
  return { ...files, ...cloudPackageFiles(cloud, `polycloud-migrate-${cloud}`, "index.js") };
}

/** Writes the step's package to a content-addressed folder (per-user, 0700) and returns it. */
export function stageMigrationStep(cloud: Cloud, migrations: readonly PackagedMigration[]): string {
  const files = migrationStepFiles(cloud, migrations);
  const out = path.join(privateRoot(), contentName(files));
  if (!fs.existsSync(out)) writeStagedFolder(out, files);
  return out;
}
