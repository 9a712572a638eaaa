// What the Azure Functions Node.js worker gives the @azure/functions library as
// `@azure/functions-core`: the programming model slot, function registration and the log.
// The local runner's Azure host (azure-functions-node.cjs) reads what the app registered.
"use strict";
const registrations = [];
const hooks = [];
let model;
module.exports = {
  registrations,
  hooks,
  version: "3.10.1",
  setProgrammingModel(m) { model = m; },
  getProgrammingModel() { return model; },
  registerFunction(metadata, callback) { registrations.push({ metadata, callback }); return { dispose() {} }; },
  registerHook(type, callback) { const h = { type, callback }; hooks.push(h); return { dispose() { hooks.splice(hooks.indexOf(h), 1); } }; },
  log(level, category, message) { (level === "error" || level === "critical" ? console.error : console.log)(message); },
  Disposable: class { constructor(fn) { this.fn = fn; } dispose() { this.fn && this.fn(); } },
};
