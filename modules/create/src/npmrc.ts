/**
 * The `.npmrc` lines that send the packages' scope(s) to a registry with a token:
 *
 *   @polycloud:registry=https://npm.example.internal/
 *   //npm.example.internal/:_authToken=${NODE_AUTH_TOKEN}
 *
 * The token stays an environment reference that npm expands at run time, so the file holds no
 * secret. The release workflow, the registry test and the starter all write these lines with this.
 */
export function npmrcFor(registryUrl: string, scopes: readonly string[], token = "${NODE_AUTH_TOKEN}"): string {
  const url = new URL(registryUrl);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname))) {
    throw new Error(`registry ${registryUrl}: use https (plain http only for a registry on this machine)`);
  }
  const base = url.href.endsWith("/") ? url.href : `${url.href}/`;
  const authKey = base.replace(/^https?:/, "");
  return [...scopes.map((s) => `${s}:registry=${base}`), `${authKey}:_authToken=${token}`].join("\n") + "\n";
}
