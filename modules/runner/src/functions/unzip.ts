import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";

/**
 * Extracts a function package (a zip, stored or deflated entries) into `dir`, as the platform
 * unpacks an upload. Entries that would leave the folder are refused.
 */
export function unzip(archive: string, dir: string): void {
  const buf = fs.readFileSync(archive);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error(`${archive}: not a zip file`);
  const entries = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const root = path.resolve(dir);
  for (let n = 0; n < entries; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`${archive}: bad central directory`);
    const method = buf.readUInt16LE(at + 10);
    const compressed = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const external = buf.readUInt32LE(at + 38);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString("utf8", at + 46, at + 46 + nameLen);
    at += 46 + nameLen + extraLen + commentLen;
    const target = path.resolve(root, name);
    if (target !== root && !target.startsWith(root + path.sep)) throw new Error(`${archive}: entry ${name} leaves the package folder`);
    if (name.endsWith("/")) { fs.mkdirSync(target, { recursive: true }); continue; }
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(dataAt, dataAt + compressed);
    const data = method === 0 ? raw : method === 8 ? zlib.inflateRawSync(raw) : undefined;
    if (!data) throw new Error(`${archive}: entry ${name} uses compression method ${method}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const mode = (external >>> 16) & 0o777;
    fs.writeFileSync(target, data, { mode: mode ? mode | 0o600 : 0o644 });
  }
}
