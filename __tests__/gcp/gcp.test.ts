/**
 * Every gcp construct's unit tests in one jest file: the cases live in *.cases.ts by construct,
 * and share one module load and one synthesis per environment (shared.ts).
 */
import "./database.cases";
import "./foundation-budget.cases";
import "./function-gateway.cases";
import "./messaging.cases";
import "./ordering.cases";
