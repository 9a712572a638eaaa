import { parityTable } from "../stacks/parity-table";
import { deviationTable } from "@polycloud/core";
import { writeReadmeSection } from "./readme-section";

/** Rewrites the parity table between the README markers: `npm run parity`. */
writeReadmeSection("parity", parityTable());
writeReadmeSection("deviations", deviationTable());
