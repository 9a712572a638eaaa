import * as fs from "node:fs";
import * as path from "node:path";
import { Cloud } from "@polycloud/core";
import { Runner, startRunner } from "@polycloud/runner";
import { describeWithPostgres } from "../helpers/postgres";
import { envByName } from "../helpers/synth";
import { synthToDir } from "../helpers/synth-to-dir";
import { coffeeService, useCoffeeWheels } from "../fixtures/coffee-service";
import { referenceService } from "../../stacks/reference-service";
import { BEHAVIOUR_READERS, JOURNEYS, JourneyContext, JourneyService } from "./journeys";
import { pendingReason } from "./pending";
import { journeyDeviations, unlistedDifferences } from "./parity-doc";

/**
 * Issue 24's journeys: each service is synthesized for dev on each cloud and run by the local
 * runner from its Terraform JSON and packages (real functions, a real PostgreSQL), and the same
 * journeys are walked on every cloud. The outcomes form one table (journey × cloud) whose
 * clouds must agree unless docs/parity.md lists the difference. Journeys waiting for another
 * engineer's fix are test.failing with the defect named (./pending.ts).
 */
const CLOUDS: Cloud[] = ["aws", "gcp", "azure"];
/** JOURNEYS_ONLY=<service>[:<cloud>,…] runs one service (and some clouds) while working on them. */
const ONLY = process.env.JOURNEYS_ONLY ? { service: process.env.JOURNEYS_ONLY.split(":")[0], clouds: process.env.JOURNEYS_ONLY.split(":")[1]?.split(",") } : undefined;

const SERVICES: { spec: typeof referenceService; ids: JourneyService; journeys: string[] }[] = [
  {
    spec: referenceService,
    ids: { name: "orders", gateway: "gateway:public", api: "function:api", worker: "function:worker", queue: "queue:orders", bus: "bus:events", audience: "orders-api" },
    journeys: ["post-order", "stored-once", "get-order", "duplicate", "poison", "dlq-alarm", "no-token", "wrong-audience", "direct-call"],
  },
  {
    spec: coffeeService,
    ids: {
      name: "coffee", gateway: "gateway:web", api: "function:orders", worker: "function:brewer", queue: "queue:brews", bus: "bus:events", audience: "coffee-api",
      schedule: { rule: "events/morning", fn: "function:roaster", msg: "roasting" },
      ruleToFunction: { rule: "events/tasting", fn: "function:tasting", msg: "tasted" },
    },
    journeys: ["post-order", "stored-once", "get-order", "duplicate", "poison", "dlq-alarm", "no-token", "wrong-audience", "direct-call", "schedule", "rule-to-function"],
  },
];

/** service → journey → cloud → outcome */
const table: Record<string, Record<string, Record<string, string>>> = {};
/** Cells whose journey is pending another engineer's fix: shown, not compared. */
const pendingCells = new Set<string>();

describeWithPostgres("journeys on the local runner", () => {
  for (const service of SERVICES.filter((s) => !ONLY || s.ids.name === ONLY.service)) {
    for (const cloud of CLOUDS.filter((c) => !ONLY?.clouds || ONLY.clouds.includes(c))) {
      describe(`${service.ids.name} on ${cloud}`, () => {
        let runner: Runner | undefined;
        let ctx: JourneyContext;
        beforeAll(async () => {
          useCoffeeWheels();
          const stackDir = synthToDir(envByName("dev"), cloud, [service.spec]);
          runner = await startRunner({ stackDir });
          const json = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
          ctx = { cloud, runner, service: service.ids, behaviour: BEHAVIOUR_READERS[cloud](json), subject: `alice-${cloud}`, state: {} };
        });
        afterAll(async () => {
          if (process.env.JOURNEY_LOG) for (const e of runner?.log.entries ?? []) console.log(`[${cloud}] [${e.source}] ${e.line}`);
          await runner?.stop();
        });
        for (const id of service.journeys) {
          const journey = JOURNEYS.find((j) => j.id === id)!;
          const pending = pendingReason(service.ids.name, id, cloud);
          if (pending) pendingCells.add(`${service.ids.name}/${id}/${cloud}`);
          (pending ? test.failing : test)(`${journey.title}${pending ? ` [pending ${pending}]` : ""}`, async () => {
            const outcome = await journey.run(ctx);
            ((table[service.ids.name] ??= {})[id] ??= {})[cloud] = outcome;
            expect(outcome).toBe(journey.expected(ctx));
          });
        }
      });
    }
  }

  test("one table of outcomes (journey × cloud): the clouds agree unless docs/parity.md lists the difference", () => {
    const cell = (service: string, journey: string, cloud: string, v: string | undefined) => (v === undefined ? "—" : pendingCells.has(`${service}/${journey}/${cloud}`) ? `(pending) ${v}` : v);
    const rows = Object.entries(table).flatMap(([service, journeys]) => Object.entries(journeys).map(([journey, byCloud]) => `| ${service} | ${journey} | ${CLOUDS.map((c) => cell(service, journey, c, byCloud[c])).join(" | ")} |`));
    console.log(["| Service | Journey | AWS | GCP | Azure |", "|---|---|---|---|---|", ...rows].join("\n"));
    const listed = journeyDeviations();
    const compared = (service: string, journeys: Record<string, Record<string, string>>) => Object.fromEntries(Object.entries(journeys)
      .map(([journey, byCloud]) => [journey, Object.fromEntries(Object.entries(byCloud).filter(([cloud]) => !pendingCells.has(`${service}/${journey}/${cloud}`)))]));
    const problems = Object.entries(table).flatMap(([service, journeys]) => unlistedDifferences(compared(service, journeys), listed).map((p) => `${service}/${p}`));
    expect(problems).toEqual([]);
  });
});
