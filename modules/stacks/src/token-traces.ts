/**
 * cdktf records a full, unlimited-depth stack trace for every token it creates, only to show it
 * if that token later fails to resolve. A CPU profile of synthesis put capturing and formatting
 * those traces (plus the garbage they leave) at about a third of synth time; under jest, where
 * traces go through source maps, synthesis was five times slower. This skips just those
 * creation traces: captures at the normal depth (every real error) are untouched.
 * Set POLYCLOUD_TOKEN_TRACES=1 to keep them while debugging a token resolution error.
 */
export function skipTokenCreationTraces(): void {
  if (process.env.POLYCLOUD_TOKEN_TRACES === "1") return;
  const capture = Error.captureStackTrace as (target: object, below?: unknown) => void;
  if ((capture as { skipsTokenTraces?: boolean }).skipsTokenTraces) return;
  const shim = function captureStackTrace(target: object, below?: unknown): void {
    if (Error.stackTraceLimit === Number.MAX_SAFE_INTEGER && target && typeof target === "object" && !(target instanceof Error)) {
      (target as { stack: string }).stack = "";
      return;
    }
    capture.call(Error, target, below);
  };
  (shim as { skipsTokenTraces?: boolean }).skipsTokenTraces = true;
  Error.captureStackTrace = shim as typeof Error.captureStackTrace;
}
