/**
 * Every aws construct's unit tests in one jest file: the cases live in *.cases.ts by construct,
 * and share one module load and one synthesis per environment (shared.ts).
 */
import "./database-proxy.cases";
import "./event-bus.cases";
import "./foundation-alarms-budget.cases";
import "./http-gateway.cases";
import "./lambda-function.cases";
import "./queue-dlq.cases";
