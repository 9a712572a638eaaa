// Google Cloud Functions (2nd gen) for Node.js as the local runner plays it: the Functions
// Framework's own CLI serves the package, configured the way the platform configures it
// (FUNCTION_TARGET = the entry point, FUNCTION_SIGNATURE_TYPE, PORT, the source folder). The
// framework is the repository's @google-cloud/functions-framework, the version the package
// declares (the runner checks it); on GCP, Cloud Build installs that dependency.
"use strict";
const fs = require("node:fs");
const http = require("node:http");
const { channel } = require("./ipc.cjs");

const config = JSON.parse(fs.readFileSync(process.argv[process.argv.length - 1], "utf8"));
const ipc = channel(() => undefined);
const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (...args) {
  this.once("listening", () => ipc.send({ type: "ready", port: this.address().port }));
  return listen.apply(this, args);
};
process.argv = [process.argv[0], config.frameworkMain, `--source=${config.dir}`];
require(config.frameworkMain);
