#!/usr/bin/env node
// The polycloud command. The code is compiled into lib/ (tsc -b, done before publishing).
"use strict";
require("../lib/bin").main();
