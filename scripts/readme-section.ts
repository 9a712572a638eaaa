import * as fs from "node:fs";

/** Replaces the README text between `<!-- <name>:start -->` and `<!-- <name>:end -->`. */
export function writeReadmeSection(name: string, content: string, file = "README.md"): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const readme = fs.readFileSync(file, "utf8");
  if (!readme.includes(start) || !readme.includes(end)) throw new Error(`${file} has no ${start} … ${end} markers`);
  fs.writeFileSync(file, readme.replace(new RegExp(`${start}[\\s\\S]*?${end}`), () => `${start}\n${content}\n${end}`));
  console.log(`${file}: ${name} section updated`);
}
