// Loaded first in every Node function process of the local runner (node --require). It plays the
// part of the network a function runs in: DNS names of the emulated services and databases lead
// to the runner's loopback listeners, and the runner's stand-in for the public web PKI is trusted
// like a public root (only where the caller did not pin its own CAs). The config file is the
// host's last argument; the function's environment carries nothing of the runner's.
"use strict";
// Module hooks run preloads in their own thread too: the network belongs to the main thread.
if (require("node:worker_threads").isMainThread) install();

function install() {
const fs = require("node:fs");
const net = require("node:net");
const tls = require("node:tls");

// A program the runner runs as a platform would (a Cloud Run job's `node -e`) gets the file in
// POLYCLOUD_RUNNER_NET_CONFIG instead, removed before the program sees its environment.
const configFile = process.env.POLYCLOUD_RUNNER_NET_CONFIG || process.argv[process.argv.length - 1];
delete process.env.POLYCLOUD_RUNNER_NET_CONFIG;
const config = JSON.parse(fs.readFileSync(configFile, "utf8"));
const own = config.network || {};
let shared = {};
// The runner adds names while functions run (it writes the shared map file): re-read it on a miss.
function route(key) {
  if (own[key]) return own[key];
  if (!shared[key]) { try { shared = JSON.parse(fs.readFileSync(config.networkFile, "utf8")); } catch { shared = {}; } }
  return shared[key];
}

function redirect(key) {
  const to = route(key.toLowerCase());
  if (!to) return undefined;
  const i = to.lastIndexOf(":");
  return { host: to.slice(0, i), port: Number(to.slice(i + 1)) };
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first && typeof first === "object" && first.port !== undefined) {
    const to = redirect(`${first.host || "localhost"}:${first.port}`);
    if (to) { first.host = to.host; first.port = to.port; }
  } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
    const to = redirect(`${typeof args[1] === "string" ? args[1] : "localhost"}:${first}`);
    if (to) { args[0] = to.port; args[1] = to.host; }
  }
  return connect.apply(this, args);
};

// The runner's clock runs ahead of the wall clock when it fast-forwards an idle system (a
// visibility timeout, a retry backoff): functions see the same time through Date.
if (config.clockFile) {
  const RealDate = Date;
  let skew = 0;
  let checked = -Infinity;
  const current = () => {
    const n = RealDate.now();
    if (n - checked > 5) { checked = n; try { skew = Number(fs.readFileSync(config.clockFile, "utf8")) || 0; } catch { skew = 0; } }
    return n + skew;
  };
  function VirtualDate(...args) {
    if (!new.target) return new RealDate(current()).toString();
    return args.length ? new RealDate(...args) : new RealDate(current());
  }
  Object.setPrototypeOf(VirtualDate, RealDate);
  VirtualDate.prototype = RealDate.prototype;
  VirtualDate.now = current;
  globalThis.Date = VirtualDate;
}

const publicCa = fs.readFileSync(config.publicCa, "utf8");
const createSecureContext = tls.createSecureContext;
tls.createSecureContext = function (options) {
  const context = createSecureContext.call(this, options);
  if (!options || !options.ca) context.context.addCACert(publicCa);
  return context;
};
}
