// A TCP proxy on 127.0.0.1:<random port> in front of a real PostgreSQL or Redis, to make a dependency
// "unreachable" for one server under test without stopping the shared servers other tests use.
//   pause()  — black hole: open connections stay open but nothing flows (like a network partition);
//              new connections are accepted and then hang. Timeouts must fire.
//   cut()    — closes every connection and refuses new ones (like the server going down).
//   resume() — back to normal (new connections work; black-holed ones flow again).
import net from 'node:net';

export interface TcpProxy {
  port: number;
  url(scheme: 'postgres' | 'redis', path?: string): string;
  pause(): void;
  cut(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let mode: 'open' | 'paused' | 'cut' = 'open';
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();

  const server = net.createServer((client) => {
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    const pair = { client, upstream };
    pairs.add(pair);
    const forward = (from: net.Socket, to: net.Socket) => {
      from.on('data', (chunk) => {
        if (mode === 'open') {
          to.write(chunk);
          return;
        }
        // Paused: hold the bytes back until resume() (a partition drops nothing already sent, it just stalls).
        from.pause();
        const retry = setInterval(() => {
          if (mode === 'paused') return;
          clearInterval(retry);
          if (mode === 'open') {
            to.write(chunk);
            from.resume();
          }
        }, 20);
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    port,
    url(scheme, path = '') {
      return scheme === 'postgres'
        ? `postgres://postgres@127.0.0.1:${port}${path}`
        : `redis://127.0.0.1:${port}`;
    },
    pause() {
      mode = 'paused';
    },
    cut() {
      mode = 'cut';
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    resume() {
      mode = 'open';
    },
    async close() {
      mode = 'cut';
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
