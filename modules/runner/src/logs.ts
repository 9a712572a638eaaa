import { EventEmitter } from "node:events";

export interface LogEntry {
  readonly at: number;
  /** A function name, or `runner`. */
  readonly source: string;
  /** The function's component (`orders/function:worker`) when a function wrote the line. */
  readonly component?: string;
  readonly line: string;
  /** The line as JSON when it is a structured log line. */
  readonly json?: Record<string, unknown>;
}

/** Every line the functions and the emulated services write, in order, for tests and `npm run dev`. */
export class RunnerLog extends EventEmitter {
  readonly entries: LogEntry[] = [];

  write(source: string, line: string, component?: string): void {
    let json: Record<string, unknown> | undefined;
    const t = line.trim();
    if (t.startsWith("{")) {
      try { json = JSON.parse(t); } catch { json = undefined; }
    }
    const entry = { at: Date.now(), source, line, json, component };
    this.entries.push(entry);
    this.emit("entry", entry);
  }

  /**
   * Structured lines (JSON objects) of a function, named by its cloud name or its component
   * (`function:worker`, `orders/function:worker`), optionally filtered by fields.
   */
  structured(fn?: string, where: Record<string, unknown> = {}): Record<string, unknown>[] {
    return this.entries
      .filter((e) => e.json && (!fn || e.source === fn || e.component === fn || e.component?.endsWith(`/${fn}`)))
      .map((e) => e.json!)
      .filter((j) => Object.entries(where).every(([k, v]) => j[k] === v));
  }
}
