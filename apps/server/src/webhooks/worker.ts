// The delivery worker (docs/api.md §13), one on every instance: claims due deliveries (repository.claimDue: no two
// instances take one attempt), POSTs each signed body with a 10 s time-out over a connection that only reaches public
// addresses unless private ones are allowed (the gateway's dispatcher: the resolved address is checked, no redirect
// is followed), reads at most 64 KiB of the answer, and records the outcome: a 2xx is delivered; anything else is
// retried with exponential backoff and jitter (RETRY_DELAYS_S: the first within 30 s, nine attempts over more than a
// day), then failed. Each round first runs the budget.threshold sweep (thresholds.ts), so the alerts it writes go out in
// the same round.
import type { FastifyBaseLogger } from 'fastify';
import { type Dispatcher, request } from 'undici';
import type { Db } from '../db/types.js';
import { createUpstreamDispatcher, UpstreamAddressRefused } from '../gateway/upstream-dispatcher.js';
import type { Metrics } from '../observability/metrics.js';
import { type ClaimedAttempt, claimDue, queueStats, recordAttempt } from './repository.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.js';
import { type SweepOptions, sweepThresholds } from './thresholds.js';

/** Seconds before each retry, by the attempt that failed (1st failure → 15 s …); ±20 % jitter. 8 retries ≈ 30.6 h. */
export const RETRY_DELAYS_S = [15, 60, 300, 1_800, 7_200, 21_600, 36_000, 43_200];
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** A claimed attempt is nobody else's for this long (more than the time-out): then it is due again. */
const LEASE_MS = 60_000;
const MAX_RESPONSE_BYTES = 64 * 1024;
const BATCH = 20;
const POLL_MS = 1_000;

export interface WebhookWorker {
  /** Looks for due deliveries now (after a change on this instance enqueued one). */
  kick(): void;
  close(): Promise<void>;
}

/** The delay before the next attempt after `attempt` failed, or null when it was the last. */
export function retryDelayMs(attempt: number, random = Math.random): number | null {
  const base = RETRY_DELAYS_S[attempt - 1];
  if (base === undefined) return null;
  return Math.round(base * 1000 * (0.8 + 0.4 * random()));
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<void> {
  let read = 0;
  for await (const chunk of body) {
    read += chunk.length;
    if (read > MAX_RESPONSE_BYTES) {
      body.destroy();
      return;
    }
  }
}

export function createWebhookWorker(deps: {
  db: Db;
  metrics: Metrics;
  log: FastifyBaseLogger;
  allowPrivate: boolean;
  /** Tests inject one (a look-up that maps names to addresses); else the SSRF-safe default. */
  dispatcher?: Dispatcher;
  pollMs?: number;
  thresholds?: SweepOptions;
}): WebhookWorker {
  const dispatcher =
    deps.dispatcher ??
    createUpstreamDispatcher({
      allowPrivate: deps.allowPrivate,
      headersTimeoutMs: ATTEMPT_TIMEOUT_MS,
      bodyTimeoutMs: ATTEMPT_TIMEOUT_MS,
    });
  let closed = false;
  let running: Promise<void> | null = null;
  let again = false;
  let failing = false;
  let sweepFailing = false;
  let timer: NodeJS.Timeout | undefined;

  const send = async (a: ClaimedAttempt): Promise<{ status: number | null; error: string | null }> => {
    try {
      const t = Math.floor(Date.now() / 1000);
      const res = await request(a.url, {
        method: 'POST',
        dispatcher,
        body: a.body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Spendguard-Webhooks/1',
          [EVENT_ID_HEADER]: a.eventId,
          [SIGNATURE_HEADER]: signatureHeader(a.secret, a.body, t),
        },
        signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      });
      await readCapped(res.body).catch(() => {});
      return { status: res.statusCode, error: res.statusCode < 300 ? null : `answered ${res.statusCode}` };
    } catch (error) {
      const refused =
        error instanceof UpstreamAddressRefused || (error as Error).cause instanceof UpstreamAddressRefused;
      return {
        status: null,
        error: refused
          ? 'refused: the URL resolves to a private, loopback or reserved address'
          : `could not deliver: ${(error as Error).message}`,
      };
    }
  };

  const attempt = async (a: ClaimedAttempt) => {
    if (a.endpointDeleted) {
      await recordAttempt(deps.db, a, {
        status: 'failed',
        responseStatus: null,
        error: 'the endpoint was deleted',
        nextAttemptAt: null,
      });
      deps.metrics.webhookDeliveries.inc({ outcome: 'failed' });
      return;
    }
    const { status, error } = await send(a);
    const ok = status !== null && status >= 200 && status < 300;
    const delay = ok ? null : retryDelayMs(a.attempt);
    const outcome = ok ? 'delivered' : delay === null ? 'failed' : 'retry';
    await recordAttempt(deps.db, a, {
      status: outcome === 'retry' ? 'pending' : outcome,
      responseStatus: status,
      error,
      nextAttemptAt: delay === null ? null : Date.now() + delay,
    });
    deps.metrics.webhookDeliveries.inc({ outcome });
    if (!ok)
      deps.log.info({ delivery: a.id, attempt: a.attempt, status, error, outcome }, 'webhook attempt failed');
  };

  const round = async () => {
    // A failing sweep must not hold up deliveries already queued: it is logged once until it works again.
    try {
      await sweepThresholds(deps.db, deps.thresholds);
      sweepFailing = false;
    } catch (error) {
      if (!sweepFailing) deps.log.warn({ err: error }, 'budget threshold sweep failed, will retry');
      sweepFailing = true;
    }
    for (;;) {
      const claimed = await claimDue(deps.db, BATCH, LEASE_MS);
      await Promise.all(
        claimed.map((a) => attempt(a).catch((e) => deps.log.warn({ err: e }, 'webhook attempt'))),
      );
      if (claimed.length < BATCH || closed) break;
    }
    const stats = await queueStats(deps.db);
    deps.metrics.webhookQueueDepth.set(stats.pending);
    deps.metrics.webhookOldestDueSeconds.set(stats.oldestDueSeconds);
  };

  const run = () => {
    if (closed) return;
    if (running) {
      again = true;
      return;
    }
    running = round()
      .then(() => {
        if (failing) deps.log.info('webhook worker: PostgreSQL answers again');
        failing = false;
      })
      .catch((error) => {
        // Once per outage, not once per poll: the worker keeps trying every second.
        if (!failing) deps.log.warn({ err: error }, 'webhook worker: PostgreSQL unavailable, will retry');
        failing = true;
      })
      .finally(() => {
        running = null;
        if (again && !closed) {
          again = false;
          run();
        }
      });
  };

  const schedule = () => {
    timer = setTimeout(() => {
      run();
      if (!closed) schedule();
    }, deps.pollMs ?? POLL_MS);
    timer.unref();
  };
  schedule();

  return {
    kick: run,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running;
      if (!deps.dispatcher) await dispatcher.close();
    },
  };
}
