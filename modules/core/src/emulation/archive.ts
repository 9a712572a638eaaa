import * as fs from "node:fs";
import * as zlib from "node:zlib";

/** One file of a zip archive (stored or deflated), as the platforms read an uploaded package. */
export interface ArchiveEntry {
  readonly name: string;
  readonly mode: number;
  readonly data: () => Buffer;
}

/** The entries of a zip archive (central directory order). */
export function archiveEntries(archive: string): ArchiveEntry[] {
  const buf = fs.readFileSync(archive);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error(`${archive}: not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const out: ArchiveEntry[] = [];
  for (let n = 0; n < count; n++) {
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
    out.push({
      name,
      mode: (external >>> 16) & 0o777,
      data: () => {
        const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
        const raw = buf.subarray(start, start + compressed);
        if (method === 0) return raw;
        if (method === 8) return zlib.inflateRawSync(raw);
        throw new Error(`${archive}: entry ${name} uses compression method ${method}`);
      },
    });
  }
  return out;
}

/** One file of an archive as text, or undefined when absent. */
export function archiveFile(archive: string, name: string): string | undefined {
  return archiveEntries(archive).find((e) => e.name === name)?.data().toString("utf8");
}
