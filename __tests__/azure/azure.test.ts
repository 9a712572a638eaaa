/**
 * Every azure construct's unit tests in one jest file: the cases live in *.cases.ts by construct,
 * and share one module load and one synthesis per environment (shared.ts).
 */
import "./foundation-gateway.cases";
import "./messaging-database.cases";
