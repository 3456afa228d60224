// N streamed requests sent at the same instant and held open together: how many were open at once (response headers
// received, body not ended), each one's time to first byte and duration, status and whole body — so the phase can
// check every stream was fully received.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface BurstStream {
  status: number;
  /** From the burst's start to the first body byte (the first SSE frame); NaN when none arrived. */
  ttfbMs: number;
  durationMs: number;
  body: string;
  /** A transport error (reset, timeout) ended it. */
  error: string | null;
}

export interface BurstResult {
  streams: BurstStream[];
  /** Most streams open at the same time. */
  peakOpen: number;
  wallMs: number;
}

export async function runStreamBurst(options: {
  url: URL;
  count: number;
  headers: (index: number) => Record<string, string>;
  body: (index: number) => string;
  timeoutMs?: number;
}): Promise<BurstResult> {
  const agent = new http.Agent({ keepAlive: false, maxSockets: options.count + 16 });
  let open = 0;
  let peakOpen = 0;
  const start = performance.now();
  const one = (i: number) =>
    new Promise<BurstStream>((resolve) => {
      const body = options.body(i);
      let status = 0;
      let ttfbMs = Number.NaN;
      let counted = false;
      const parts: Buffer[] = [];
      let settled = false;
      const finish = (error: string | null) => {
        if (settled) return;
        settled = true;
        if (counted) open--;
        resolve({
          status,
          ttfbMs,
          durationMs: performance.now() - start,
          body: Buffer.concat(parts).toString('utf8'),
          error,
        });
      };
      const req = http.request(
        options.url,
        {
          method: 'POST',
          agent,
          headers: { ...options.headers(i), 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          status = res.statusCode ?? 0;
          counted = true;
          peakOpen = Math.max(peakOpen, ++open);
          res.on('data', (chunk: Buffer) => {
            if (Number.isNaN(ttfbMs)) ttfbMs = performance.now() - start;
            parts.push(chunk);
          });
          res.on('end', () => finish(null));
          res.on('error', (e) => finish(e.message));
        },
      );
      req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error('timeout')));
      req.on('error', (e) => finish(e.message));
      req.end(body);
    });
  const streams = await Promise.all(Array.from({ length: options.count }, (_, i) => one(i)));
  agent.destroy();
  return { streams, peakOpen, wallMs: performance.now() - start };
}
