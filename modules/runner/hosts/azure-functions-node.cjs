// The Azure Functions host and Node.js worker as the local runner plays them (v4 programming
// model): the app's package.json `main` is loaded, @azure/functions registers its functions
// through `@azure/functions-core` (hosts/node_modules), and each invocation goes through the
// library's own programming model, from the worker's RPC shapes (RpcHttpData, typed trigger
// data and metadata) to the RPC response, exactly as the real worker calls it.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { pathToFileURL } = require("node:url");
const { channel, errorOf } = require("./ipc.cjs");

const config = JSON.parse(fs.readFileSync(process.argv[process.argv.length - 1], "utf8"));
const core = require("@azure/functions-core");

async function load() {
  const manifest = JSON.parse(fs.readFileSync(path.join(config.dir, "package.json"), "utf8"));
  const main = manifest.main || "index.js";
  await import(pathToFileURL(path.join(config.dir, main)).href);
  const model = core.getProgrammingModel();
  if (model && model.getCapabilities) await model.getCapabilities({});
  for (const h of core.hooks.filter((x) => x.type === "appStart")) await h.callback({ hookData: {}, appHookData: {} });
  return core.registrations.map((r) => {
    const trigger = Object.entries(r.metadata.bindings || {}).find(([, b]) => /Trigger$/.test(b.type));
    return { name: r.metadata.name, trigger: trigger ? { bindingName: trigger[0], ...trigger[1] } : { type: "none" } };
  });
}

const ready = load();
let next = 0;
const ipc = channel(async (msg) => {
  if (msg.type !== "invoke") return;
  try {
    await ready;
    const reg = core.registrations.find((r) => r.metadata.name === msg.payload.function);
    if (!reg) throw new Error(`no function '${msg.payload.function}' is registered`);
    const coreCtx = {
      invocationId: msg.id || `local-${next++}`,
      metadata: reg.metadata,
      request: { invocationId: msg.id, functionId: reg.metadata.name, inputData: msg.payload.inputData, triggerMetadata: msg.payload.triggerMetadata, retryContext: msg.payload.retryContext },
      state: "invocation",
      log: (level, category, message) => (level === "error" ? console.error : console.log)(message),
    };
    const model = core.getProgrammingModel().getInvocationModel(coreCtx);
    const { context, inputs } = await model.getArguments();
    const result = await model.invokeFunction(context, inputs, reg.callback);
    const response = await model.getResponse(context, result);
    // Byte arrays (an HTTP body) travel as base64 text.
    ipc.send({ type: "result", id: msg.id, ok: true, value: JSON.parse(JSON.stringify(response, (k, v) => (v && v.type === "Buffer" && Array.isArray(v.data) ? Buffer.from(v.data).toString("base64") : v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v))) });
  } catch (err) {
    ipc.send({ type: "result", id: msg.id, ok: false, error: errorOf(err) });
  }
});
ready.then((registrations) => ipc.send({ type: "ready", registrations }), (err) => ipc.send({ type: "ready", error: errorOf(err) }));
