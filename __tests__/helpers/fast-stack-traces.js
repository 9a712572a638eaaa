// cdktf records a full, unlimited-depth stack trace for every token it creates (for error
// messages). Under jest every trace is formatted through source maps, which made synthesis about
// five times slower than under plain node. In tests those creation traces are skipped; real stack
// traces of failing tests are untouched (they use the normal depth limit).
const capture = Error.captureStackTrace;
Error.captureStackTrace = function captureStackTrace(target, below) {
  if (Error.stackTraceLimit === Number.MAX_SAFE_INTEGER && target && typeof target === "object" && !(target instanceof Error)) {
    target.stack = "";
    return;
  }
  return capture.call(this, target, below);
};
