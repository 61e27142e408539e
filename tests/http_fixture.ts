/** A local HTTP server on 127.0.0.1 standing in for the data hosts in tests: fixed bodies, byte ranges, cut transfers. */

/** What the server answers for one path. */
export interface Route {
  body: Uint8Array;
  /** how many responses still to cut short after `cutAt` bytes (announcing the full Content-Length) */
  truncate?: number;
  cutAt?: number;
  /** answer 200 with the whole body even to a Range request */
  ignoreRange?: boolean;
}

/** A local HTTP server on 127.0.0.1 serving `routes`, with byte ranges; it records each request's path and Range. */
export function fixtureServer(routes: Record<string, Route>) {
  const requests: { path: string; range: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    const range = req.headers.get("range");
    requests.push({ path, range });
    const route = routes[path];
    if (!route) return new Response("no such file", { status: 404, statusText: "Not Found" });
    const match = /^bytes=(\d+)-$/.exec(range ?? "");
    if (match && !route.ignoreRange) {
      const start = Number(match[1]);
      if (start >= route.body.length) return new Response(null, { status: 416 });
      return new Response(route.body.slice(start), {
        status: 206,
        headers: { "content-range": `bytes ${start}-${route.body.length - 1}/${route.body.length}` },
      });
    }
    if (route.truncate) {
      route.truncate--;
      let sent = false;
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (!sent) {
            sent = true;
            controller.enqueue(route.body.slice(0, route.cutAt));
          } else {
            await new Promise((r) => setTimeout(r, 20));
            controller.close(); // fewer bytes than Content-Length: the client sees the connection break
          }
        },
      });
      return new Response(stream, { headers: { "content-length": String(route.body.length) } });
    }
    return new Response(route.body.slice());
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { base, requests, close: () => server.shutdown() };
}
