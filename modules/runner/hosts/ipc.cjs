// The line protocol between the runner and a function host process: one JSON object per line on
// file descriptor 3 (a socket pair), so the function's stdout and stderr stay its log stream.
"use strict";
const net = require("node:net");

function channel(onMessage) {
  const sock = new net.Socket({ fd: 3, readable: true, writable: true });
  let buf = "";
  sock.setEncoding("utf8");
  sock.on("data", (d) => {
    buf += d;
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line) onMessage(JSON.parse(line));
    }
  });
  sock.on("end", () => process.exit(0));
  return { send: (msg) => sock.write(JSON.stringify(msg) + "\n") };
}

const errorOf = (err) => ({ type: (err && err.name) || "Error", message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined });

module.exports = { channel, errorOf };
