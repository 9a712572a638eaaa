import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Schema migrations of a database, cloud-neutral part: the naming rule, reading a folder, and the
 * checks a migration file must pass at synth. Applying them is `applyMigrations` in
 * @polycloud/runtime, run at deploy by each cloud's migration step.
 *
 * Naming rule: `<version>_<name>.sql`, where `<version>` is at least four digits and `<name>` is
 * lower-case letters, digits, `_` and `-` (`0001_orders.sql`, `0002_add-owner.sql`). Files run in
 * ascending numeric version order; a version appears once. `*.md` files (notes) are ignored;
 * anything else in the folder is an error, so nothing placed there is silently skipped.
 */
export const MIGRATION_FILE = /^(\d{4,})_([a-z0-9][a-z0-9_-]*)\.sql$/;
export const MIGRATION_FILE_FORM = "<version>_<name>.sql: a version of at least 4 digits, then lower-case letters, digits, _ or - (e.g. 0001_create-orders.sql)";

/** Where a migration comes from: the service's folder, or a file the platform's runtime ships. */
export type MigrationSource = "service" | "polycloud-runtime";

export interface MigrationFile {
  /** Unique key in the migrations table: `<source>/<file name>`. */
  readonly id: string;
  readonly source: MigrationSource;
  readonly file: string;
  readonly version: number;
  /** SHA-256 (hex) of the file's bytes: an applied file whose checksum changes stops the deploy. */
  readonly checksum: string;
  readonly sql: string;
}

export interface MigrationFolder {
  readonly files: MigrationFile[];
  /** Each problem: the file (or the folder) and what is allowed instead. */
  readonly problems: { readonly file: string; readonly allowed: string }[];
}

export const migrationChecksum = (sql: string | Buffer) => createHash("sha256").update(sql).digest("hex");

/** Reads and checks a folder of migrations. Never throws for bad content: problems are returned. */
export function readMigrationFolder(folder: string, source: MigrationSource = "service"): MigrationFolder {
  const problems: { file: string; allowed: string }[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(folder, { withFileTypes: true });
  } catch {
    return { files: [], problems: [{ file: folder, allowed: `an existing folder of migration files (relative to ${process.cwd()})` }] };
  }
  const files: MigrationFile[] = [];
  const versions = new Map<number, string>();
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.isFile() && e.name.endsWith(".md")) continue;
    if (!e.isFile()) {
      problems.push({ file: e.name, allowed: "migration files and .md notes directly in the folder (no sub-folders)" });
      continue;
    }
    const m = MIGRATION_FILE.exec(e.name);
    if (!m) {
      problems.push({ file: e.name, allowed: `a file named ${MIGRATION_FILE_FORM}, or a .md note` });
      continue;
    }
    const version = Number(m[1]);
    const other = versions.get(version);
    if (other) {
      problems.push({ file: e.name, allowed: `a version used by one file only (${other} has version ${version} too)` });
      continue;
    }
    versions.set(version, e.name);
    const bytes = fs.readFileSync(path.join(folder, e.name));
    const sql = bytes.toString("utf8");
    for (const allowed of migrationSqlProblems(sql)) problems.push({ file: e.name, allowed });
    files.push({ id: `${source}/${e.name}`, source, file: e.name, version, checksum: migrationChecksum(bytes), sql });
  }
  files.sort((a, b) => a.version - b.version);
  if (files.length === 0 && problems.length === 0) problems.push({ file: folder, allowed: `a folder holding at least one migration file (${MIGRATION_FILE_FORM})` });
  return { files, problems };
}

/**
 * What a migration file must not contain, phrased as what is allowed instead: statements that end
 * or open a transaction, or that cannot run inside one. Each file runs in one transaction so that
 * a failing statement leaves nothing behind; a COMMIT inside it would make what came before it
 * permanent.
 */
export function migrationSqlProblems(sql: string): string[] {
  const problems: string[] = [];
  if (sql.includes("\u0000")) problems.push("UTF-8 SQL text without NUL bytes");
  const statements = splitSqlStatements(sql);
  if (statements.length === 0) problems.push("at least one SQL statement");
  for (const s of statements) {
    const head = s.text.replace(/\s+/g, " ").trim().toUpperCase();
    if (/^(BEGIN|START TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE TRANSACTION|COMMIT PREPARED|ROLLBACK PREPARED)\b/.test(head)) {
      problems.push(`no transaction control (line ${s.line}: '${head.split(" ").slice(0, 2).join(" ")}'); each file already runs in one transaction of its own`);
    } else if (/^(CREATE|DROP|REINDEX) (UNIQUE )?INDEX CONCURRENTLY\b|^VACUUM\b|^(CREATE|DROP) DATABASE\b|^ALTER SYSTEM\b/.test(head)) {
      problems.push(`statements that can run in a transaction (line ${s.line}: '${head.split(" ").slice(0, 3).join(" ")}' cannot); each file runs in one`);
    }
  }
  return problems;
}

/**
 * Splits SQL into statements at top-level semicolons, skipping `--` and nested `/* *\/` comments,
 * quoted identifiers, standard and E'' strings and dollar-quoted bodies. Comments are removed from
 * the returned text; `line` is where each statement starts.
 */
export function splitSqlStatements(sql: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let current = "";
  let start = -1;
  let line = 1;
  let i = 0;
  const push = () => {
    if (current.trim()) out.push({ text: current.trim(), line: start });
    current = "";
    start = -1;
  };
  const mark = () => { if (start < 0) start = line; };
  const advance = (n: number, keep: boolean) => {
    const chunk = sql.slice(i, i + n);
    line += chunk.split("\n").length - 1;
    if (keep) current += chunk;
    i += n;
  };
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      advance((end < 0 ? sql.length : end) - i, false);
      continue;
    }
    if (c === "/" && next === "*") {
      let depth = 0;
      let j = i;
      while (j < sql.length) {
        if (sql[j] === "/" && sql[j + 1] === "*") { depth++; j += 2; continue; }
        if (sql[j] === "*" && sql[j + 1] === "/") { depth--; j += 2; if (depth === 0) break; continue; }
        j++;
      }
      advance(j - i, false);
      current += " ";
      continue;
    }
    if (c === ";") {
      advance(1, false);
      push();
      continue;
    }
    if (/\s/.test(c)) { advance(1, true); continue; }
    mark();
    if (c === "'" || c === '"') {
      const escapes = c === "'" && /[eE]/.test(sql[i - 1] ?? "") && !/[A-Za-z0-9_]/.test(sql[i - 2] ?? "");
      let j = i + 1;
      while (j < sql.length) {
        if (escapes && sql[j] === "\\") { j += 2; continue; }
        if (sql[j] === c) {
          if (sql[j + 1] === c) { j += 2; continue; }
          break;
        }
        j++;
      }
      advance(Math.min(j + 1, sql.length) - i, true);
      continue;
    }
    const dollar = c === "$" ? /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i)) : null;
    if (dollar && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? "")) {
      const tag = dollar[0];
      const end = sql.indexOf(tag, i + tag.length);
      advance((end < 0 ? sql.length : end + tag.length) - i, true);
      continue;
    }
    advance(1, true);
  }
  push();
  return out;
}

/** One hash over the ordered ids and checksums: what the deploy step is re-run on. */
export function migrationsHash(files: readonly Pick<MigrationFile, "id" | "checksum">[]): string {
  const h = createHash("sha256");
  for (const f of files) h.update(`${f.id}\0${f.checksum}\n`);
  return h.digest("hex");
}
