import * as fs from "node:fs";
import * as path from "node:path";
import { archiveEntries } from "@polycloud/core";

/** Extracts a function package into `dir`, as the platform unpacks an upload. Entries that would leave the folder are refused. */
export function unzip(archive: string, dir: string): void {
  const root = path.resolve(dir);
  for (const e of archiveEntries(archive)) {
    const target = path.resolve(root, e.name);
    if (target !== root && !target.startsWith(root + path.sep)) throw new Error(`${archive}: entry ${e.name} leaves the package folder`);
    if (e.name.endsWith("/")) { fs.mkdirSync(target, { recursive: true }); continue; }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, e.data(), { mode: e.mode ? e.mode | 0o600 : 0o644 });
  }
}
