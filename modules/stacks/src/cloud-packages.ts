import * as path from "node:path";
import type * as Aws from "@polycloud/aws";
import type * as Gcp from "@polycloud/gcp";
import type * as Azure from "@polycloud/azure";
import { Cloud } from "@polycloud/core";

/**
 * The cloud packages, loaded when an environment enables the cloud and not before. A team that
 * deploys to AWS installs `@polycloud/aws` and its provider bindings only; the GCP and Azure
 * packages (and their 200-400 MB of bindings each) need not be in its node_modules. They are not
 * dependencies of this package for the same reason: npm would install them, and their provider
 * peers with them. Types are imported as types only (erased from the JavaScript).
 */
export interface CloudPackages {
  readonly aws: typeof Aws;
  readonly gcp: typeof Gcp;
  readonly azure: typeof Azure;
}

/** What to install for a cloud: its package and the provider bindings it peers with. */
export const CLOUD_PACKAGES: Readonly<Record<Cloud, { readonly name: string; readonly install: string }>> = {
  aws: { name: "@polycloud/aws", install: "@polycloud/aws @cdktf/provider-aws" },
  gcp: { name: "@polycloud/gcp", install: "@polycloud/gcp @cdktf/provider-google @cdktf/provider-google-beta @cdktf/provider-time" },
  azure: { name: "@polycloud/azure", install: "@polycloud/azure @cdktf/provider-azurerm" },
};

/** Why a cloud package cannot be used, as a validation problem (never a stack trace). */
export class CloudPackageProblem {
  constructor(readonly message: string) {}
}

const loaded = new Map<Cloud, unknown>();

/** The `@polycloud/core` package this package resolves, or the one `from` (a cloud package's folder) resolves. */
function coreFile(from?: string): string | undefined {
  try {
    // Its package.json, not its entry point: one copy of core is one folder, however it is loaded.
    return require.resolve("@polycloud/core/package.json", from ? { paths: [from] } : undefined);
  } catch {
    return undefined;
  }
}

/**
 * The cloud's package, or a problem that says what to install. A package built on another copy of
 * `@polycloud/core` than this one is refused too: its specs, validation and names would not be the
 * ones the composition is checked with.
 */
export function cloudPackage<C extends Cloud>(cloud: C): CloudPackages[C] | CloudPackageProblem {
  const hit = loaded.get(cloud);
  if (hit) return hit as CloudPackages[C];
  const { name, install } = CLOUD_PACKAGES[cloud];
  let mod: CloudPackages[C];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(name) as CloudPackages[C];
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== "MODULE_NOT_FOUND" || !String(err.message).includes(`'${name}'`)) throw e;
    return new CloudPackageProblem(`${name} is not installed; allowed: the cloud packages of the clouds your environments enable (npm install ${install})`);
  }
  let manifest: string | undefined;
  try {
    manifest = require.resolve(`${name}/package.json`);
  } catch {
    manifest = undefined;
  }
  const ours = coreFile();
  const theirs = manifest ? coreFile(path.dirname(manifest)) : ours;
  if (ours && theirs && ours !== theirs) {
    return new CloudPackageProblem(`${name} is built on another copy of @polycloud/core (${path.dirname(theirs)}) than @polycloud/stacks (${path.dirname(ours)}); allowed: the same @polycloud/core version for every @polycloud package (npm ls @polycloud/core)`);
  }
  loaded.set(cloud, mod);
  return mod;
}
