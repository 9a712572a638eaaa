/**
 * Problems collected in one pass. Each names the module, the property path, the bad value and
 * what is allowed. Constructs register a cdktf validation that returns these messages, so
 * `cdktf synth` fails once with the whole list instead of stopping at the first error.
 */
export interface Problem {
  /** Module (construct class or config file) that owns the property, e.g. `AwsFunction`. */
  readonly module: string;
  /** Property path, e.g. `functions.api.memoryMb`. */
  readonly property: string;
  readonly value: unknown;
  /** Allowed range or form, e.g. `128..10240 MB`. */
  readonly allowed: string;
}

export function describeValue(value: unknown): string {
  if (value === undefined) return "<missing>";
  if (typeof value === "string") return JSON.stringify(value);
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 120 ? `${text.slice(0, 117)}...` : text;
  } catch {
    return String(value);
  }
}

export function formatProblem(p: Problem): string {
  return `${p.module}: property '${p.property}' has value ${describeValue(p.value)}; allowed: ${p.allowed}`;
}

/** Accumulates problems; helpers return whether the check passed so callers can skip dependent checks. */
export class Problems {
  private readonly list: Problem[] = [];

  constructor(private readonly module: string) {}

  add(property: string, value: unknown, allowed: string): void {
    this.list.push({ module: this.module, property, value, allowed });
  }

  /** Runs checks under another module name and keeps their problems in this list. */
  as(module: string): Problems {
    const child = new Problems(module);
    (child as unknown as { list: Problem[] }).list = this.list;
    return child;
  }

  range(property: string, value: number | undefined, min: number, max: number, unit = ""): boolean {
    if (value === undefined) return true;
    if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
      this.add(property, value, `${min}..${max}${unit ? ` ${unit}` : ""}`);
      return false;
    }
    return true;
  }

  integer(property: string, value: number | undefined, min: number, max: number, unit = ""): boolean {
    if (value === undefined) return true;
    if (!Number.isInteger(value)) {
      this.add(property, value, `an integer in ${min}..${max}${unit ? ` ${unit}` : ""}`);
      return false;
    }
    return this.range(property, value, min, max, unit);
  }

  oneOf<T>(property: string, value: T | undefined, allowed: readonly T[]): boolean {
    if (value === undefined || allowed.includes(value)) return true;
    this.add(property, value, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
    return false;
  }

  required(property: string, value: unknown, allowed: string): boolean {
    if (value === undefined || value === null || value === "") {
      this.add(property, value, allowed);
      return false;
    }
    return true;
  }

  matches(property: string, value: string | undefined, pattern: RegExp, allowed: string): boolean {
    if (value === undefined) return true;
    if (typeof value !== "string" || !pattern.test(value)) {
      this.add(property, value, allowed);
      return false;
    }
    return true;
  }

  get all(): readonly Problem[] {
    return this.list;
  }

  messages(): string[] {
    return this.list.map(formatProblem);
  }
}

/**
 * The cloud a problem message is about, when it names one: a property under `clouds.<cloud>.`
 * (also as `environments/<env>.clouds.<cloud>.`), a budget share or acceptance for one cloud, an
 * accepted warning id of one cloud, or a cloud's budget cap (`(<cloud>: … allow …)`). The app lists
 * such a problem against that cloud's stacks only.
 */
export function problemCloud(message: string): "aws" | "gcp" | "azure" | undefined {
  const m = /property '(?:environments\/[^.']+\.)?(?:clouds|budget\.shares|budget\.acceptIdleOverBudget)\.(aws|gcp|azure)\b/.exec(message)
    ?? /property 'accept\[\d+\]' has value "(aws|gcp|azure):/.exec(message)
    ?? /; allowed: at most \d+ [^(]*\((aws|gcp|azure): /.exec(message);
  return m?.[1] as "aws" | "gcp" | "azure" | undefined;
}

/** Thrown by helpers that must stop; carries every message. */
export class ValidationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Validation failed with ${problems.length} problem(s):\n  ${problems.join("\n  ")}`);
    this.name = "ValidationError";
  }
}
