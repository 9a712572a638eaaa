import { catalogueTable } from "../__tests__/validation/catalogue";
import { writeDocSection } from "./doc-section";

/** `npm run catalogue`: rewrites the bad-input catalogue in docs/validation.md from the tested list. */
writeDocSection("catalogue", catalogueTable());
