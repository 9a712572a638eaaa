import { skipTokenCreationTraces } from "../../stacks/token-traces";

// See stacks/token-traces.ts: under jest, formatting cdktf's per-token traces through source
// maps made synthesis five times slower.
skipTokenCreationTraces();
