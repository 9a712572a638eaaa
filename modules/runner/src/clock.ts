import { EmulatedClock } from "@polycloud/core";

interface Timer { due: number; seq: number; fn: () => unknown; label: string; cancelled: boolean }

/**
 * Virtual time for the emulated services: the wall clock plus a skew that only grows. Timers fire
 * on the wall clock (`npm run dev`), or at once when `settle()` fast-forwards an idle system to
 * the next one (tests: five 6-minute redeliveries take a second). Work the emulations start
 * (invocations, deliveries) is tracked, so "idle" means nothing in flight.
 */
export class VirtualClock implements EmulatedClock {
  private skew = 0;
  private seq = 0;
  private timers: Timer[] = [];
  private wake?: NodeJS.Timeout;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  /** Errors thrown by timer callbacks or tracked work, for the runner to report. */
  readonly errors: unknown[] = [];

  /** `onSkew` is told every jump (the runner shares the skew with function processes). */
  constructor(private readonly onSkew: (skewMs: number) => void = () => undefined) {}

  private held?: number;

  now(): number {
    return this.held ?? Date.now() + this.skew;
  }

  /** Lets `ms` of virtual time pass at once (timers due meanwhile fire, in order). */
  async advance(ms: number): Promise<void> {
    const until = this.now() + ms;
    while (this.timers.length && this.timers[0].due <= until) {
      const next = this.timers[0];
      if (next.due > this.now()) { this.skew += next.due - this.now(); this.onSkew(this.skew); }
      this.fireDue();
      await this.idle();
    }
    if (until > this.now()) { this.skew += until - this.now(); this.onSkew(this.skew); }
    this.arm();
  }

  /**
   * Stops time at this instant until `release()` (a test sends a burst "at one instant" on a
   * loaded machine). Releasing moves the skew so time goes on from where it stopped.
   */
  hold(): void {
    this.held ??= this.now();
  }

  release(): void {
    if (this.held === undefined) return;
    this.skew = this.held - Date.now();
    this.held = undefined;
    this.onSkew(this.skew);
    this.arm();
  }

  after(ms: number, fn: () => unknown, label = "timer"): { cancel(): void } {
    const t: Timer = { due: this.now() + Math.max(0, ms), seq: this.seq++, fn, label, cancelled: false };
    this.timers.push(t);
    this.timers.sort((a, b) => a.due - b.due || a.seq - b.seq);
    this.arm();
    return { cancel: () => { t.cancelled = true; this.timers = this.timers.filter((x) => x !== t); this.arm(); } };
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight++;
    const done = () => {
      this.inFlight--;
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    };
    work.then(done, (err) => { this.errors.push(err); done(); });
    return work;
  }

  /** Timers not yet fired, earliest first (labels, for diagnostics). */
  pending(): { label: string; inSeconds: number }[] {
    return this.timers.map((t) => ({ label: t.label, inSeconds: Math.round((t.due - this.now()) / 1000) }));
  }

  /**
   * Runs the system until it is idle and no timer is due within `horizonSeconds` of virtual time:
   * waits for work in flight, then jumps to the next timer and fires it, again and again.
   * A quiet period of `quietMs` real milliseconds lets messages already on their way arrive.
   */
  async settle(options: { horizonSeconds?: number; quietMs?: number; maxSteps?: number } = {}): Promise<void> {
    const limit = this.now() + (options.horizonSeconds ?? 86400) * 1000;
    const quiet = options.quietMs ?? 30;
    for (let step = 0; step < (options.maxSteps ?? 10000); step++) {
      await this.idle();
      await new Promise((r) => setTimeout(r, quiet));
      if (this.inFlight > 0) continue;
      const next = this.timers[0];
      if (!next || next.due > limit) return;
      if (next.due > this.now()) {
        this.skew += next.due - this.now();
        this.onSkew(this.skew);
      }
      this.fireDue();
    }
    throw new Error(`clock: the system did not settle (timers: ${this.pending().slice(0, 5).map((p) => p.label).join(", ")})`);
  }

  stop(): void {
    this.stopped = true;
    if (this.wake) clearTimeout(this.wake);
    this.timers = [];
  }

  private idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private fireDue(): void {
    const now = this.now();
    while (this.timers.length && this.timers[0].due <= now) {
      const t = this.timers.shift()!;
      if (t.cancelled) continue;
      try {
        const out = t.fn();
        if (out && typeof (out as Promise<unknown>).then === "function") void this.track(out as Promise<unknown>);
      } catch (err) {
        this.errors.push(err);
      }
    }
    this.arm();
  }

  private arm(): void {
    if (this.wake) clearTimeout(this.wake);
    this.wake = undefined;
    if (this.stopped || !this.timers.length) return;
    const wait = Math.min(Math.max(0, this.timers[0].due - this.now()), 2 ** 31 - 1);
    this.wake = setTimeout(() => this.fireDue(), wait);
    this.wake.unref();
  }
}
