// The migration step on AWS: a Lambda function in the VPC, invoked during apply by
// aws_lambda_invocation. It logs in to the Aurora cluster (not the proxy) as the master user with
// the password from the RDS-managed secret, which only this function's role may read.
import { envVarPart } from "./env";
import { MigrationError } from "./migrate";
import { runMigrationStep } from "./migrate-step";
import { secretsManagerValue } from "./secrets-aws";

export async function handler(): Promise<unknown> {
  return runMigrationStep({
    password: async () => {
      const id = process.env.POLYCLOUD_MIGRATE_DATABASE ?? "";
      const name = `DB_${envVarPart(id)}_PASSWORD_SECRET_ARN`;
      const arn = process.env[name];
      if (!arn) throw new MigrationError(`${name} is not set (the master user's secret, set by AwsDatabaseMigration)`);
      const value = JSON.parse(await secretsManagerValue(arn)) as { password?: string };
      if (!value.password) throw new MigrationError(`the secret ${arn} holds no password`);
      return value.password;
    },
  });
}
