import { Cloud } from "@polycloud/core";

/**
 * Journeys that fail today only because another engineer's fix has not reached this branch.
 * Each runs as test.failing (it must still fail: once the fix lands the test says so, and the
 * entry is removed). Keyed `<service>/<journey id>/<cloud>`, `*` for every cloud.
 */
export const PENDING: Record<string, string> = {
};

export function pendingReason(service: string, journey: string, cloud: Cloud): string | undefined {
  return PENDING[`${service}/${journey}/${cloud}`] ?? PENDING[`${service}/${journey}/*`] ?? PENDING[`*/${journey}/${cloud}`] ?? PENDING[`*/${journey}/*`];
}
