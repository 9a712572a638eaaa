/**
 * Stands in for `node-fetch` in GCP bundles: gaxios (under gcp-metadata) imports it on Node,
 * but Node >= 20 has a standard fetch, and node-fetch 2 drags in ~300 KB of URL/Unicode tables.
 */
const nodeFetch: typeof fetch = (input, init) => fetch(input, init);
export default nodeFetch;
