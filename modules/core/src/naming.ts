import { createHash } from "node:crypto";

/**
 * Deterministic resource names. A name is `<service>-<env>-<component>[-<suffix>]`, reduced to the
 * characters the target resource accepts. When it is too long it is cut and a 6-character hash of
 * the full name is appended, so two long names never collide and a rename is always a visible diff.
 */
export interface NameRule {
  readonly maxLength: number;
  /** Characters allowed; everything else becomes the separator or is dropped. */
  readonly allowed: RegExp;
  /** Separator used between parts. */
  readonly separator: string;
  readonly lowercase: boolean;
  /** Must start with a letter (prefix `x` otherwise). */
  readonly startWithLetter?: boolean;
}

const DASHED: Omit<NameRule, "maxLength"> = { allowed: /[a-z0-9-]/, separator: "-", lowercase: true, startWithLetter: true };

/** Limits taken from each service's documented naming constraints. */
export const NAME_RULES = {
  aws: {
    lambda: { ...DASHED, maxLength: 64 },
    iamRole: { ...DASHED, maxLength: 64 },
    sqs: { ...DASHED, maxLength: 75 }, // 80 minus room for a `.fifo` suffix
    eventBus: { ...DASHED, maxLength: 256 },
    eventRule: { ...DASHED, maxLength: 64 },
    rdsIdentifier: { ...DASHED, maxLength: 63 },
    dbProxy: { ...DASHED, maxLength: 60 },
    logGroup: { ...DASHED, maxLength: 512 },
    snsTopic: { ...DASHED, maxLength: 256 },
    budget: { ...DASHED, maxLength: 100 },
    alarm: { ...DASHED, maxLength: 255 },
    apiGateway: { ...DASHED, maxLength: 128 },
    secret: { ...DASHED, maxLength: 512 },
    securityGroup: { ...DASHED, maxLength: 255 },
    generic: { ...DASHED, maxLength: 63 },
  },
  gcp: {
    serviceAccount: { ...DASHED, maxLength: 30 },
    function: { ...DASHED, maxLength: 63 },
    pubsub: { ...DASHED, maxLength: 255 },
    sqlInstance: { ...DASHED, maxLength: 98 },
    vpcConnector: { ...DASHED, maxLength: 25 },
    bucket: { ...DASHED, maxLength: 63 },
    secret: { ...DASHED, maxLength: 255 },
    compute: { ...DASHED, maxLength: 63 },
    // API Gateway gateway ids: at most 49 characters (https://cloud.google.com/api-gateway/docs/deploying-api).
    apiGatewayGateway: { ...DASHED, maxLength: 49 },
    generic: { ...DASHED, maxLength: 63 },
  },
  azure: {
    resourceGroup: { allowed: /[a-z0-9-_]/, separator: "-", lowercase: true, maxLength: 90 },
    storageAccount: { allowed: /[a-z0-9]/, separator: "", lowercase: true, maxLength: 24, startWithLetter: true },
    functionApp: { ...DASHED, maxLength: 60 },
    keyVault: { ...DASHED, maxLength: 24 },
    serviceBus: { ...DASHED, maxLength: 50 },
    apim: { ...DASHED, maxLength: 50 },
    actionGroupShort: { allowed: /[a-z0-9]/, separator: "", lowercase: true, maxLength: 12 },
    generic: { ...DASHED, maxLength: 63 },
  },
} as const satisfies Record<string, Record<string, NameRule>>;

export function shortHash(input: string, length = 6): string {
  return createHash("sha256").update(input).digest("hex").slice(0, length);
}

export function formatName(parts: readonly string[], rule: NameRule): string {
  const clean = parts
    .map((part) => {
      const lowered = rule.lowercase ? part.toLowerCase() : part;
      let out = "";
      for (const ch of lowered) out += rule.allowed.test(ch) ? ch : rule.separator;
      return out;
    })
    .map((p) => (rule.separator ? p.split(rule.separator).filter(Boolean).join(rule.separator) : p))
    .filter(Boolean);
  let name = clean.join(rule.separator);
  if (rule.startWithLetter && !/^[a-z]/i.test(name)) name = `x${rule.separator}${name}`;
  if (name.length <= rule.maxLength) return name;
  const hash = shortHash(name);
  const keep = rule.maxLength - hash.length - rule.separator.length;
  let head = name.slice(0, keep);
  if (rule.separator) head = head.replace(new RegExp(`${escapeRegExp(rule.separator)}+$`), "");
  return `${head}${rule.separator}${hash}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `order-created` → `ORDER_CREATED`: a logical id as part of an environment variable name. */
export function envVarPart(id: string): string {
  return id.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/** Names all resources of one service in one environment. */
export class Namer {
  constructor(
    private readonly service: string,
    private readonly environment: string,
  ) {}

  name(rule: NameRule, ...parts: string[]): string {
    return formatName([this.service, this.environment, ...parts], rule);
  }
}
