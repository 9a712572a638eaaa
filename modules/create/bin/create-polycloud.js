#!/usr/bin/env node
// `npm init @polycloud [<dir>]` runs this. The code is compiled into lib/ (tsc -b, done before publishing).
"use strict";
process.exitCode = require("../lib/main").main(process.argv.slice(2));
