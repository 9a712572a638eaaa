import * as fs from "node:fs";
import * as path from "node:path";
import { Cloud } from "@polycloud/core";
import { Runner, startRunner } from "@polycloud/runner";
import { describeWithPostgres } from "../helpers/postgres";
import { envByName } from "../helpers/synth";
import { synthToDir } from "../helpers/synth-to-dir";
import { referenceService } from "../../stacks/reference-service";
import { BEHAVIOUR_READERS } from "./journeys";

/**
 * The reference gateway on each cloud, as the runner emulates it from the JSON: a CORS preflight
 * from the allowed origin is answered (by the gateway on AWS and Azure, by the runtime on GCP),
 * another origin gets no CORS headers, and a burst beyond the gateway's limit is throttled as that
 * cloud throttles (the behaviour reader's burst: a token bucket on AWS, Cloud Armor's fixed
 * window on GCP, none on API Management Consumption). Unauthenticated requests are refused before
 * any function runs, so the burst measures the gateway alone.
 */
const ORIGIN = "https://dev.shop.example.com";

describeWithPostgres("the reference gateway on the local runner", () => {
  describe.each(["aws", "gcp", "azure"] as Cloud[])("%s", (cloud) => {
    let runner: Runner;
    let burst: number;
    beforeAll(async () => {
      const stackDir = synthToDir(envByName("dev"), cloud, [referenceService]);
      burst = BEHAVIOUR_READERS[cloud](JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"))).gateways.public.burst;
      runner = await startRunner({ stackDir });
    });
    afterAll(() => runner?.stop());

    test("a CORS preflight from the allowed origin is answered with its headers; another origin gets none", async () => {
      const preflight = (origin: string) => fetch(`${runner.endpoints["gateway:public"]}/orders`, {
        method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,authorization" },
      });
      const ok = await preflight(ORIGIN);
      expect([ok.status < 300, ok.headers.get("access-control-allow-origin"), ok.headers.get("access-control-allow-methods")?.includes("POST")]).toEqual([true, ORIGIN, true]);
      const other = await preflight("https://evil.example.com");
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
    });

    test("a burst beyond the gateway's limit is throttled as the JSON configures it", async () => {
      // The limit and 50 more, in one instant of the runner's clock.
      const n = Number.isFinite(burst) ? burst + 50 : 300;
      // A minute later (the preflights above counted too), then time stands still for the burst.
      await runner.clock.advance(60_000);
      runner.clock.hold();
      const statuses: number[] = [];
      try {
        for (let i = 0; i < n; i++) statuses.push((await fetch(`${runner.endpoints["gateway:public"]}/orders`, { method: "POST", body: "{}" })).status);
      } finally {
        runner.clock.release();
      }
      const throttled = statuses.filter((s) => s === 429).length;
      // Admitted requests are refused 401 (no token) by the gateway itself.
      expect(statuses.filter((s) => s !== 429).every((s) => s === 401)).toBe(true);
      if (!Number.isFinite(burst)) {
        expect(throttled).toBe(0);
        return;
      }
      // The first `burst` are admitted, the rest of that instant throttled.
      expect(statuses.findIndex((s) => s === 429)).toBe(burst);
      expect(throttled).toBe(n - burst);
    });
  });
});
