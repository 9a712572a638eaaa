import { skipTokenCreationTraces } from "@polycloud/stacks";

// See stacks/token-traces.ts: under jest, formatting cdktf's per-token traces through source
// maps made synthesis five times slower.
skipTokenCreationTraces();
