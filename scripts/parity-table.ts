import { parityTable } from "../stacks/parity-table";
import { deviationTable } from "@polycloud/core";
import { behaviourAttributesTable } from "../stacks/behaviour-attributes-table";
import { writeDocSection } from "./doc-section";

/** Rewrites the parity and deviation tables in docs/parity.md: `npm run parity`. */
writeDocSection("parity", parityTable());
writeDocSection("deviations", deviationTable());
writeDocSection("behaviour-attributes", behaviourAttributesTable());
