/**
 * The third-party versions a new project pins: exactly what this repository builds and tests the
 * packages with (a test keeps them equal to the root package.json), so a team starts from a set
 * that is known to synthesize, plan and pass the checks together.
 */
export const PINS = {
  cdktf: "0.21.0",
  constructs: "10.4.2",
  "@cdktf/provider-aws": "21.22.1",
  "@cdktf/provider-google": "16.12.1",
  "@cdktf/provider-google-beta": "16.12.1",
  "@cdktf/provider-time": "11.0.1",
  "@cdktf/provider-azurerm": "14.23.1",
  typescript: "5.9.3",
  "@types/node": "20.19.25",
} as const;

/** GitHub Actions the starter's workflow uses, pinned to full commit SHAs (the same as this repository's workflows). */
export const ACTIONS = {
  checkout: "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
  setupNode: "actions/setup-node@820762786026740c76f36085b0efc47a31fe5020 # v7.0.0",
  setupTerraform: "hashicorp/setup-terraform@dfe3c3f87815947d99a8997f908cb6525fc44e9e # v4.0.1",
} as const;

/** The Terraform CLI version the workflows install. */
export const TERRAFORM_VERSION = "1.11.4";

/** The Node.js major a new project declares and its workflow runs (the packages' engines floor). */
export const NODE_MAJOR = 22;
