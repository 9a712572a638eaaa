// The stateful classification lives in @polycloud/core (policy rules, address snapshot and the
// prod protection aspect use it too); the plan tools re-export it under their historical name.
export { STATEFUL_KINDS as STATEFUL_TYPES, StatefulKind, isStateful, statefulKind } from "@polycloud/core";
