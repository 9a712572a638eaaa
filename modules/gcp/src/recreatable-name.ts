import { Construct } from "constructs";
import { StaticResource } from "@cdktf/provider-time/lib/static-resource";

/** `-` and a Unix time in seconds (10 digits until 2286). */
const SUFFIX_LENGTH = 11;

export interface RecreatableName {
  /** The name to give the resource: `base` in prod, `base-<unix seconds>` elsewhere. */
  readonly name: string;
  /** The part before the suffix (`base`, cut to leave room for it). */
  readonly base: string;
  /** The suffix with its dash (a Terraform reference), or "" in prod. */
  readonly suffix: string;
}

/**
 * A name that a destroy-and-recreate can use again. Some GCP names outlive their resource: a KMS
 * key ring can never be deleted (Terraform only forgets it), and a deleted Cloud SQL instance's
 * name stays reserved for about a week. Outside prod (`stable` false) the name ends in the Unix
 * time a `time_static` recorded when it was created: stable across plans and applies, new after a
 * destroy, so a torn-down dev recreates under fresh names. Prod keeps the plain name (its key ring
 * and database are never destroyed: prevent_destroy). `maxLength` is the resource's name limit.
 */
export function recreatableName(scope: Construct, id: string, base: string, maxLength: number, stable: boolean): RecreatableName {
  if (stable) return { name: base, base, suffix: "" };
  const generation = new StaticResource(scope, id, {});
  const cut = base.slice(0, maxLength - SUFFIX_LENGTH).replace(/-+$/, "");
  const suffix = `-${generation.getStringAttribute("unix")}`;
  return { name: `${cut}${suffix}`, base: cut, suffix };
}
