// A local HTTP proxy that forwards requests to the real server but, for the requests a test
// picks, lets the server process them fully and then destroys the client's socket instead of
// sending the response — the "request counted, response lost" failure retries must survive.
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ForwardedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  upstreamStatus: number;
  upstreamHeaders: IncomingHttpHeaders;
  dropped: boolean;
}

export interface DroppingProxy {
  url: string;
  forwarded: ForwardedRequest[];
  close(): Promise<void>;
}

/** Decides, per forwarded request (in arrival order), whether its response is dropped. */
export type DropRule = (
  request: { method: string; path: string },
  earlier: readonly ForwardedRequest[],
) => boolean;

/** Drops the response of the first request whose path ends with `suffix`, and no other. */
export const dropFirst =
  (suffix: string): DropRule =>
  (request, earlier) =>
    request.path.endsWith(suffix) && !earlier.some((r) => r.dropped);

export async function startDroppingProxy(upstreamUrl: string, drop: DropRule): Promise<DroppingProxy> {
  const upstream = new URL(upstreamUrl);
  const forwarded: ForwardedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers = { ...req.headers, host: upstream.host };
    const upstreamResponse = await new Promise<{
      status: number;
      headers: IncomingHttpHeaders;
      body: Buffer;
    }>((resolve, reject) => {
      const out = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
        async (response) => {
          const parts: Buffer[] = [];
          for await (const part of response) parts.push(part as Buffer);
          resolve({
            status: response.statusCode ?? 502,
            headers: response.headers,
            body: Buffer.concat(parts),
          });
        },
      );
      out.on('error', reject);
      out.end(body);
    });
    const dropped = drop({ method: req.method ?? '', path: req.url ?? '' }, forwarded);
    const key = req.headers['idempotency-key'];
    forwarded.push({
      method: req.method ?? '',
      path: req.url ?? '',
      idempotencyKey: typeof key === 'string' ? key : undefined,
      upstreamStatus: upstreamResponse.status,
      upstreamHeaders: upstreamResponse.headers,
      dropped,
    });
    if (dropped) {
      req.socket.destroy();
      return;
    }
    res.writeHead(upstreamResponse.status, upstreamResponse.headers);
    res.end(upstreamResponse.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
