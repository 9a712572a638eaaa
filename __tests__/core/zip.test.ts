import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { inflateRawSync } from "node:zlib";
import { crc32, packageFolder, zipBytes } from "@polycloud/core";

/** Reads entries back through the central directory, the way unzip and the clouds do. */
function readZip(buf: Buffer): Record<string, string> {
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const out: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    expect(buf.readUInt32LE(at)).toBe(0x02014b50);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLen).toString("utf8");
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = inflateRawSync(buf.subarray(dataStart, dataStart + size));
    expect(crc32(data)).toBe(buf.readUInt32LE(at + 16));
    out[name] = data.toString("utf8");
    at += 46 + nameLen + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
  }
  return out;
}

test("crc32 matches the standard check value", () => {
  expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
});

test("zips every file, nested and non-ASCII names included, and reads back identically", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zip-"));
  try {
    fs.mkdirSync(path.join(dir, "lib"));
    fs.writeFileSync(path.join(dir, "index.mjs"), "export const handler = 1;\n");
    fs.writeFileSync(path.join(dir, "lib", "ünïcode.txt"), "x".repeat(10000));
    const entries = readZip(zipBytes(dir));
    expect(entries).toEqual({ "index.mjs": "export const handler = 1;\n", "lib/ünïcode.txt": "x".repeat(10000) });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("same content gives the same bytes and hash whatever the file times", () => {
  const src = "stacks/reference/functions/worker";
  const a = zipBytes(src);
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "zip-"));
  try {
    for (const f of fs.readdirSync(src)) {
      fs.copyFileSync(path.join(src, f), path.join(copy, f));
      fs.utimesSync(path.join(copy, f), new Date(2001, 1, 1), new Date(2001, 1, 1));
    }
    expect(zipBytes(copy).equals(a)).toBe(true);
    expect(packageFolder(copy).hash).toBe(packageFolder(src).hash);
    expect(fs.readFileSync(packageFolder(src).path).equals(a)).toBe(true);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});
