import * as fs from "node:fs";
import { parityTable } from "../stacks/parity-table";

/** Rewrites the parity table between the README markers: `npm run parity`. */
const readme = fs.readFileSync("README.md", "utf8");
const start = "<!-- parity:start -->";
const end = "<!-- parity:end -->";
const next = readme.replace(new RegExp(`${start}[\\s\\S]*?${end}`), `${start}\n${parityTable()}\n${end}`);
fs.writeFileSync("README.md", next);
