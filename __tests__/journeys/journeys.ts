import { randomUUID } from "node:crypto";
import { Cloud, ServiceBehaviour } from "@polycloud/core";
import { readAwsBehaviour } from "@polycloud/aws";
import { readGcpBehaviour } from "@polycloud/gcp";
import { readAzureBehaviour } from "@polycloud/azure";
import type { Runner } from "@polycloud/runner";

/** What a service's journeys need to know about it: ids from its service description. */
export interface JourneyService {
  readonly name: string;
  readonly gateway: string;
  readonly api: string;
  readonly worker: string;
  readonly queue: string;
  readonly bus: string;
  readonly audience: string;
  /** A scheduled rule and the function it targets (handled when the function logs `msg`). */
  readonly schedule?: { readonly rule: string; readonly fn: string; readonly msg: string };
  /** A rule targeting a function directly, and the log line (`msg`) the function writes per event. */
  readonly ruleToFunction?: { readonly rule: string; readonly fn: string; readonly msg: string };
}

export interface JourneyContext {
  readonly cloud: Cloud;
  readonly runner: Runner;
  readonly service: JourneyService;
  readonly behaviour: ServiceBehaviour;
  readonly subject: string;
  /** Shared between the steps of one service on one cloud. */
  readonly state: Record<string, any>;
}

export interface Journey {
  readonly id: string;
  readonly title: string;
  /** The outcome every cloud should have. */
  expected(ctx: JourneyContext): string;
  run(ctx: JourneyContext): Promise<string>;
}

export const BEHAVIOUR_READERS: Record<Cloud, (json: any) => ServiceBehaviour> = { aws: readAwsBehaviour, gcp: readGcpBehaviour, azure: readAzureBehaviour };

const idOf = (component: string) => component.slice(component.indexOf(":") + 1);

async function token(ctx: JourneyContext, aud = ctx.service.audience): Promise<string> {
  return ctx.runner.issuer().token({ sub: ctx.subject, aud });
}

async function post(ctx: JourneyContext, auth?: string): Promise<Response> {
  return fetch(`${ctx.runner.endpoints[ctx.service.gateway]}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    // An id for the service versions that still take it from the client; newer ones make their own.
    body: JSON.stringify({ id: `client-${randomUUID()}`, item: "flat white", size: "large" }),
  });
}

async function storedCount(ctx: JourneyContext, id: string): Promise<string> {
  let n: number;
  try {
    n = Number((await ctx.runner.query<{ n: string }>("SELECT count(*) AS n FROM orders WHERE id = $1", [id]))[0].n);
  } catch (err) {
    return `not stored (${(err as Error).message})`;
  }
  return n === 1 ? "stored once" : n === 0 ? "not stored" : `stored ${n} times`;
}

/** The handler's attempts at a message: its "message failed" log lines for that message id. */
function attempts(ctx: JourneyContext, messageId: string): number {
  return ctx.runner.log.structured(ctx.service.worker).filter((l) => String(l.msg ?? "").startsWith("message failed") && l.messageId === messageId).length;
}

export const JOURNEYS: Journey[] = [
  {
    id: "post-order", title: "POST /orders with a valid token",
    expected: () => "202",
    async run(ctx) {
      const res = await post(ctx, await token(ctx));
      const body = await res.json().catch(() => ({}));
      ctx.state.orderId = body.id;
      await ctx.runner.settle();
      return String(res.status);
    },
  },
  {
    id: "stored-once", title: "the event reaches the rule, the queue and the worker; the order is stored once",
    expected: () => "stored once",
    run: (ctx) => storedCount(ctx, String(ctx.state.orderId)),
  },
  {
    id: "get-order", title: "GET /orders/{id} with the same subject",
    expected: () => "200 with the body",
    async run(ctx) {
      const res = await fetch(`${ctx.runner.endpoints[ctx.service.gateway]}/orders/${encodeURIComponent(String(ctx.state.orderId))}`, { headers: { authorization: `Bearer ${await token(ctx)}` } });
      const body = await res.json().catch(() => undefined);
      return res.status === 200 && body?.item === "flat white" ? "200 with the body" : `${res.status} ${JSON.stringify(body ?? null).slice(0, 120)}`;
    },
  },
  {
    id: "duplicate", title: "the same message delivered twice",
    expected: () => "stored once",
    async run(ctx) {
      const id = randomUUID();
      // The event as the API publishes it (event id = order id); both shapes of the reference worker read it.
      const event = { id, source: "orders.api", type: "OrderCreated", subject: id, data: { id, owner: ctx.subject, order: { id, item: "espresso" }, item: "espresso" } };
      await ctx.runner.emulation.publish(`bus:${idOf(ctx.service.bus)}`, event);
      await ctx.runner.emulation.publish(`bus:${idOf(ctx.service.bus)}`, event);
      await ctx.runner.settle();
      return storedCount(ctx, id);
    },
  },
  {
    id: "poison", title: "a poison message goes to the DLQ after exactly the configured attempts",
    expected: (ctx) => `dead-lettered after ${ctx.behaviour.queues[idOf(ctx.service.queue)].deliveryAttempts} attempts`,
    async run(ctx) {
      const marker = `poison-${randomUUID()}`;
      const messageId = await ctx.runner.emulation.sendToQueue(ctx.service.queue, JSON.stringify({ hello: marker }));
      await ctx.runner.settle();
      const dead = (await ctx.runner.emulation.deadLetters(ctx.service.queue)).some((b) => b.includes(marker));
      return `${dead ? "dead-lettered" : "not dead-lettered"} after ${attempts(ctx, messageId)} attempts`;
    },
  },
  {
    id: "dlq-alarm", title: "the DLQ alarm's condition (read from the JSON) is met",
    expected: () => "firing",
    async run(ctx) {
      const alarms = (await ctx.runner.emulation.alarms()).filter((a) => a.component.endsWith(`/${ctx.service.queue}`) && /dlq|dead/i.test(a.address));
      if (!alarms.length) return "no DLQ alarm evaluated";
      return alarms.some((a) => a.firing) ? "firing" : `not firing (${alarms.map((a) => `${a.metric} ${a.value} ${a.condition}`).join("; ")})`;
    },
  },
  {
    id: "no-token", title: "no token: 401 at the gateway",
    expected: () => "401",
    run: async (ctx) => String((await post(ctx)).status),
  },
  {
    id: "wrong-audience", title: "a token for another audience: 401 at the gateway",
    expected: () => "401",
    run: async (ctx) => String((await post(ctx, await token(ctx, "someone-else"))).status),
  },
  {
    id: "direct-call", title: "a direct call to the function, bypassing the gateway, with a valid token: refused",
    expected: () => "refused",
    async run(ctx) {
      const res = await fetch(`${ctx.runner.endpoints[ctx.service.api]}/orders`, {
        method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${await token(ctx)}` }, body: JSON.stringify({ id: "direct", item: "cortado" }),
      });
      return [401, 403, 404].includes(res.status) ? "refused" : `reached the function (${res.status})`;
    },
  },
  {
    id: "schedule", title: "a schedule tick is handled by its target function",
    expected: () => "handled",
    async run(ctx) {
      const s = ctx.service.schedule!;
      await ctx.runner.emulation.fireSchedule(`rule:${s.rule}`);
      await ctx.runner.settle();
      const handled = ctx.runner.log.structured(s.fn, { msg: s.msg }).some((l) => (l.data as any)?.polycloud_schedule === s.rule.split("/").pop());
      const calls = ctx.runner.invocations.filter((i) => i.function.endsWith(`/${s.fn}`));
      return handled ? "handled" : calls.length ? `not handled (${calls.map((c) => c.detail ?? (c.ok ? "ok" : "failed")).join("; ").slice(0, 160)})` : "dropped";
    },
  },
  {
    id: "rule-to-function", title: "a rule that targets a function built with queue(): the event is handled",
    expected: () => "handled",
    async run(ctx) {
      const r = ctx.service.ruleToFunction!;
      const id = randomUUID();
      await ctx.runner.emulation.publish(`bus:${idOf(ctx.service.bus)}`, { id, source: "orders.api", type: "OrderCreated", subject: id, data: { id, owner: ctx.subject, order: { id, item: "ristretto" }, item: "ristretto" } });
      await ctx.runner.settle();
      if (ctx.runner.log.structured(r.fn, { msg: r.msg }).some((l) => l.subject === id)) return "handled";
      if ((await ctx.runner.emulation.deadLetters(`rule:${r.rule}`)).some((b) => b.includes(id))) return "dead-lettered";
      return "dropped";
    },
  },
];
