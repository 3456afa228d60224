// Open-loop load: requests are scheduled at fixed instants (rate × duration of them, evenly spaced) whatever
// the server does, and each latency is measured from its SCHEDULED send time. A slow server therefore shows up
// as queueing latency instead of silently lowering the offered load (the coordinated-omission trap that
// closed-loop tools, and autocannon's overallRate bursts, fall into).
import http, { type IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface OpenLoopRequest {
  url: URL;
  headers: Record<string, string>;
  body: string;
  /** Called once with the HTTP status (0 = transport error) when the response has fully arrived. */
  done(status: number, response?: { headers: IncomingHttpHeaders; body: string }): void;
}

export interface OpenLoopResult {
  scheduled: number;
  latenciesMs: Float64Array;
  /** From the scheduled send time to the first byte of the response body (a stream's first frame). */
  ttfbMs: Float64Array;
  /** How late the client itself sent requests (timer granularity), reported so it is not mistaken for server time. */
  sendLagMs: Float64Array;
  errors: number;
  /** Responses whose status was not the expected one (201 unless `okStatus` says otherwise). */
  non201: number;
  elapsedMs: number;
}

export async function runOpenLoop(options: {
  rate: number;
  durationMs: number;
  next: (index: number) => OpenLoopRequest;
  /** The status a successful request answers (POST /v1/events: 201; an LLM call: 200). */
  okStatus?: number;
  /** Keep the response bodies for `done` (off by default: the events phases never read them). */
  keepBodies?: boolean;
}): Promise<OpenLoopResult> {
  const okStatus = options.okStatus ?? 201;
  const total = Math.round((options.rate * options.durationMs) / 1000);
  const interval = 1000 / options.rate;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const latenciesMs = new Float64Array(total);
  const sendLagMs = new Float64Array(total);
  const ttfbMs = new Float64Array(total);
  let errors = 0;
  let non201 = 0;
  let finished = 0;
  const start = performance.now() + 20;

  await new Promise<void>((resolve) => {
    let index = 0;
    const fire = (i: number, scheduledAt: number) => {
      const request = options.next(i);
      sendLagMs[i] = performance.now() - scheduledAt;
      let settled = false;
      const finish = (status: number, response?: { headers: IncomingHttpHeaders; body: string }) => {
        if (settled) return;
        settled = true;
        latenciesMs[i] = performance.now() - scheduledAt;
        if (status === 0) errors++;
        else if (status !== okStatus) non201++;
        request.done(status, response);
        if (++finished === total) resolve();
      };
      const req = http.request(
        request.url,
        {
          method: 'POST',
          agent,
          headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) },
        },
        (res) => {
          let first = true;
          const parts: Buffer[] = [];
          res.on('data', (chunk: Buffer) => {
            if (first) {
              first = false;
              ttfbMs[i] = performance.now() - scheduledAt;
            }
            if (options.keepBodies) parts.push(chunk);
          });
          res.on('end', () =>
            finish(res.statusCode ?? 0, {
              headers: res.headers,
              body: options.keepBodies ? Buffer.concat(parts).toString('utf8') : '',
            }),
          );
          res.on('error', () => finish(0));
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => finish(0));
      req.end(request.body);
    };
    const tick = () => {
      const now = performance.now();
      while (index < total && start + index * interval <= now) {
        fire(index, start + index * interval);
        index++;
      }
      if (index < total) {
        const wait = start + index * interval - performance.now();
        setTimeout(tick, Math.max(0, Math.floor(wait)));
      }
    };
    if (total === 0) resolve();
    else setTimeout(tick, 20);
  });
  agent.destroy();
  return {
    scheduled: total,
    latenciesMs,
    ttfbMs,
    sendLagMs,
    errors,
    non201,
    elapsedMs: performance.now() - start,
  };
}
