// talkback (npm) mounted in a node http server bound to 127.0.0.1 (talkback's own
// start() listens on all interfaces). Same request handling as talkback's server.js
// (collect the body, requestHandler.handle, writeHead + end).
//   node talkback_server.cjs MODULE_DIR record|replay UPSTREAM TAPES_DIR PORT
// Prints "listening on http://127.0.0.1:PORT" once it accepts connections.
const [moduleDir, mode, upstream, tapes, port] = process.argv.slice(2);
const talkback = require(require.resolve("talkback", { paths: [moduleDir] }));
const http = require("http");

(async () => {
  const handler = await talkback.requestHandler({
    host: upstream,
    path: tapes,
    record: mode === "record" ? talkback.Options.RecordMode.NEW : talkback.Options.RecordMode.DISABLED,
    fallbackMode: talkback.Options.FallbackMode.NOT_FOUND,
    // Match like ploke-sim's replay does by default: method, path and body; the
    // volatile request headers are ignored.
    ignoreHeaders: ["authorization", "user-agent", "accept", "content-type", "connection"],
    silent: true,
    summary: false,
  });
  const server = http.createServer((rawReq, res) => {
    const chunks = [];
    rawReq.on("data", (c) => chunks.push(c)).on("end", async () => {
      try {
        const r = await handler.handle({ headers: rawReq.headers, url: rawReq.url, method: rawReq.method,
                                         body: Buffer.concat(chunks) });
        res.writeHead(r.status, r.headers);
        res.end(r.body);
      } catch (e) {
        res.statusCode = 500;
        res.end(String(e));
      }
    });
  });
  server.keepAliveTimeout = 65000;
  server.listen(Number(port), "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}`);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
