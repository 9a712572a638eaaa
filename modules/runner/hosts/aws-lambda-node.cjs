// The AWS Lambda Node.js runtime as the local runner plays it: the handler setting
// (`<path/module>.<export>`) names a module under LAMBDA_TASK_ROOT (tried as .js, .mjs, .cjs, as
// the runtime does) and an export; each invocation calls it with (event, context). An exception
// or rejection is the invocation's error (Lambda's errorType / errorMessage).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { pathToFileURL } = require("node:url");
const { channel, errorOf } = require("./ipc.cjs");

const config = JSON.parse(fs.readFileSync(process.argv[process.argv.length - 1], "utf8"));
const root = process.env.LAMBDA_TASK_ROOT;
require("node:module").register("./esm-node-path.mjs", pathToFileURL(__filename));

async function load() {
  const handler = String(config.entry);
  const dot = handler.lastIndexOf(".");
  if (dot <= 0) throw Object.assign(new Error(`Bad handler ${handler}`), { name: "Runtime.MalformedHandlerName" });
  const modulePath = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const file = [".js", ".mjs", ".cjs"].map((e) => path.join(root, modulePath + e)).find((f) => fs.existsSync(f));
  if (!file) throw Object.assign(new Error(`Cannot find module '${modulePath}'`), { name: "Runtime.ImportModuleError" });
  const mod = await import(pathToFileURL(file).href);
  let fn = mod[exportName];
  if (fn === undefined && mod.default && typeof mod.default === "object") fn = mod.default[exportName];
  if (typeof fn !== "function") throw Object.assign(new Error(`${modulePath}.${exportName} is undefined or not exported`), { name: "Runtime.HandlerNotFound" });
  return fn;
}

const ready = load();
const ipc = channel(async (msg) => {
  if (msg.type !== "invoke") return;
  const started = Date.now();
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: msg.arn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: msg.id,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, config.timeoutSeconds * 1000 - (Date.now() - started)),
  };
  try {
    const fn = await ready;
    const value = fn.length >= 3
      ? await new Promise((resolve, reject) => { const r = fn(msg.payload, context, (err, out) => (err ? reject(err) : resolve(out))); if (r && typeof r.then === "function") r.then(resolve, reject); })
      : await fn(msg.payload, context);
    ipc.send({ type: "result", id: msg.id, ok: true, value: value === undefined ? null : value });
  } catch (err) {
    ipc.send({ type: "result", id: msg.id, ok: false, error: errorOf(err) });
  }
});
ready.then(() => ipc.send({ type: "ready" }), (err) => ipc.send({ type: "ready", error: errorOf(err) }));
