import { catalogueTable } from "../__tests__/validation/catalogue";
import { writeReadmeSection } from "./readme-section";

/** `npm run catalogue`: rewrites the README's bad-input catalogue from the tested list. */
writeReadmeSection("catalogue", catalogueTable());
