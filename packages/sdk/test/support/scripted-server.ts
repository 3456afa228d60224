// A real HTTP server on 127.0.0.1 whose replies a test scripts one request at a time, so the
// SDK's retries, timeouts and headers are exercised over a real socket (no fetch mocking).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export type Reply =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Drop the connection without answering (a lost response). */
  | 'destroy'
  /** Never answer (a stalled server; the client's timeout must fire). */
  | 'hang';

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startScriptedServer(
  script: (request: RecordedRequest, index: number) => Reply,
): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const hung: ServerResponse[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const recorded: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: text === '' ? undefined : JSON.parse(text),
    };
    requests.push(recorded);
    const reply = script(recorded, requests.length - 1);
    if (reply === 'destroy') {
      req.socket.destroy();
      return;
    }
    if (reply === 'hang') {
      hung.push(res);
      return;
    }
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      'x-request-id': `req_${requests.length}`,
      ...reply.headers,
    });
    res.end(payload);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function errorBody(code: string, extra: Record<string, unknown> = {}): unknown {
  return { error: { code, message: `test: ${code}`, ...extra } };
}

export const trackResponse = {
  event: {
    id: 'evt_1',
    agent: 'bot',
    cost_micros: 12300,
    cost_usd: '0.012300',
    idempotency_key: 'k',
    occurred_at: '2026-11-25T10:00:00Z',
    recorded_at: '2026-11-25T10:00:00Z',
    status: 'accepted',
  },
  budget: { agent: {}, customer: {} },
};
