import { CAPABILITIES, CAPABILITY_IDS, Cloud } from "@polycloud/core";
import { CLOUD_CAPABILITIES } from "./clouds";

const HEADERS: Record<Cloud, string> = { aws: "AWS", gcp: "GCP", azure: "Azure" };

/** The parity table of docs/parity.md, generated from the conformance table so the two cannot drift. */
export function parityTable(): string {
  const clouds = Object.keys(CLOUD_CAPABILITIES) as Cloud[];
  const rows = [
    `| Capability | ${clouds.map((c) => HEADERS[c]).join(" | ")} |`,
    `|---|${clouds.map(() => "---").join("|")}|`,
    ...CAPABILITY_IDS.map((id) => {
      const cells = clouds.map((c) => {
        const r = CLOUD_CAPABILITIES[c]![id];
        const text = r.mode === "different" ? `${r.realisedBy} (differs: ${r.note ?? ""})` : r.realisedBy;
        return text.replace(/\|/g, "\\|");
      });
      return `| ${CAPABILITIES[id]} (\`${id}\`) | ${cells.join(" | ")} |`;
    }),
  ];
  return rows.join("\n");
}
