import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningApp } from './harness.js';

/**
 * Puts one URL in front of several running instances of an app, sending each request to the next
 * instance in turn (round robin), as a load balancer without sticky sessions does. Lets the contract
 * suite run unchanged against several instances: consecutive requests of one test alternate between them.
 *
 * @param instances - the running instances; their `url`s must share one path (e.g. all end in `/app/`).
 * @returns a `RunningApp` whose `url` has the same path on the proxy, and whose `close` closes the proxy
 *   and every instance.
 */
export async function alternate(instances: RunningApp[]): Promise<RunningApp> {
  const targets = instances.map((instance) => new URL(instance.url));
  let next = 0;
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const target = targets[next++ % targets.length]!;
    const forward = request(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(outgoing);
      },
    );
    forward.on('error', () => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end();
    });
    incoming.pipe(forward);
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const first = targets[0]!;
  return {
    url: `http://127.0.0.1:${port}${first.pathname}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all(instances.map((instance) => instance.close()));
    },
  };
}
