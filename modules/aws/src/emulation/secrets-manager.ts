import { HttpAnswer, HttpExchange, jsonAnswer } from "@polycloud/core";
import { AwsIam } from "./iam";
import { verifySignedRequest } from "./sigv4";
import { AwsValues } from "./values";

interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  /** The secret's KMS key (the caller also needs kms:Decrypt on it, through Secrets Manager). */
  readonly kmsKeyArn?: string;
  value?: string;
}

/**
 * Secrets Manager's GetSecretValue (AWS JSON 1.1, `X-Amz-Target: secretsmanager.GetSecretValue`)
 * for the secrets a stack has: the ones RDS manages for a cluster's master user
 * (`master_user_secret`, a JSON `{ username, password }` the runner makes at deploy) and
 * aws_secretsmanager_secret resources, whose value is set out of band (no value: the call fails
 * as it would before anyone set one). The caller's role needs secretsmanager:GetSecretValue on the
 * secret and kms:Decrypt on its key via secretsmanager.<region>.amazonaws.com.
 */
export class SecretsManager {
  private readonly secrets = new Map<string, StoredSecret>();

  constructor(private readonly values: AwsValues, private readonly iam: AwsIam) {
    for (const [address, raw] of values.resources("aws_secretsmanager_secret")) {
      const arn = String(values.value("aws_secretsmanager_secret", address, raw, "arn"));
      this.secrets.set(arn, { arn, name: values.nameOf("aws_secretsmanager_secret", address), kmsKeyArn: raw.kms_key_id ? String(values.resolve(raw.kms_key_id)) : undefined });
    }
    for (const [, raw] of values.resources("aws_secretsmanager_secret_version")) {
      const arn = String(values.resolve(raw.secret_id));
      const s = this.secrets.get(arn);
      if (s && raw.secret_string !== undefined) s.value = String(values.resolve(raw.secret_string));
    }
  }

  /** A secret the platform manages (RDS's master user secret). */
  put(arn: string, value: string, kmsKeyArn?: string): void {
    this.secrets.set(arn, { arn, name: arn.split(":secret:")[1] ?? arn, kmsKeyArn, value });
  }

  async api(req: HttpExchange): Promise<HttpAnswer> {
    const target = /^secretsmanager\.(\w+)$/.exec(req.headers["x-amz-target"] ?? "")?.[1];
    const err = (status: number, type: string, message: string) => jsonAnswer(status, { __type: type, message }, { "content-type": "application/x-amz-json-1.1" });
    if (!target) return err(400, "InvalidAction", "only the JSON protocol is emulated");
    const signed = verifySignedRequest(req, this.iam.secretOf);
    if (signed === undefined) return err(400, "MissingAuthenticationTokenException", "the request is not signed");
    if (typeof signed === "string") return err(400, signed.split(":")[0], signed);
    if (signed.service !== "secretsmanager" || signed.region !== this.values.region) return err(400, "InvalidSignatureException", `signed for ${signed.service} in ${signed.region}`);
    const principal = this.iam.byAccessKey(signed.accessKeyId)!;
    if (target !== "GetSecretValue") return err(400, "InvalidAction", `${target} is not emulated`);
    const input = JSON.parse(req.body.toString("utf8") || "{}");
    const id = String(input.SecretId ?? "");
    const secret = this.secrets.get(id) ?? [...this.secrets.values()].find((s) => s.name === id);
    if (!secret) return err(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    if (!this.iam.roleAllows(principal, "secretsmanager:GetSecretValue", secret.arn)) {
      return err(400, "AccessDeniedException", `User: ${principal.roleArn} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${id}`);
    }
    if (secret.kmsKeyArn && !this.iam.roleAllows(principal, "kms:Decrypt", secret.kmsKeyArn, { "kms:ViaService": `secretsmanager.${this.values.region}.amazonaws.com` })) {
      return err(400, "AccessDeniedException", `Access to KMS is not allowed: ${principal.roleArn} may not kms:Decrypt with ${secret.kmsKeyArn}`);
    }
    if (secret.value === undefined) return err(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
    return jsonAnswer(200, { ARN: secret.arn, Name: secret.name, SecretString: secret.value, VersionId: "00000000-0000-4000-8000-000000000001", VersionStages: ["AWSCURRENT"], CreatedDate: 0 }, { "content-type": "application/x-amz-json-1.1" });
  }
}
