// One HTTP call to Spendguard with a per-attempt timeout and safe retries. The idempotency
// key is fixed before the first attempt and sent unchanged on every retry, which is what
// makes retrying a money-moving POST safe: the server counts a key at most once.

import { errorFromResponse, type SpendguardError, UnavailableError } from './errors.js';
import {
  type AttemptOutcome,
  type BackoffOptions,
  isRetryable,
  parseRetryAfter,
  type RetryMode,
  retryDelayMs,
} from './retry.js';

export interface TransportOptions {
  apiKey: string;
  baseUrl: string;
  timeoutMs: number;
  maxRetries: number;
  backoff: BackoffOptions;
  userAgent: string;
  /** Injectable for tests; defaults to Math.random / setTimeout. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  idempotencyKey?: string;
  retry: RetryMode;
}

type Attempt =
  | { ok: true; status: number; body: unknown }
  | { ok: false; outcome: AttemptOutcome; error: SpendguardError; retryAfter: number | null };

const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class Transport {
  private readonly baseUrl: string;

  constructor(private readonly options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  async request<T>(method: string, path: string, request: RequestOptions): Promise<T> {
    const random = this.options.random ?? Math.random;
    const sleep = this.options.sleep ?? sleepFor;
    for (let retry = 0; ; retry++) {
      const attempt = await this.attempt(method, path, request);
      if (attempt.ok) return attempt.body as T;
      const canRetry = retry < this.options.maxRetries && isRetryable(attempt.outcome, request.retry);
      const delay = canRetry ? retryDelayMs(retry, attempt.retryAfter, this.options.backoff, random) : null;
      if (delay === null) throw attempt.error;
      await sleep(delay);
    }
  }

  private async attempt(method: string, path: string, request: RequestOptions): Promise<Attempt> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    try {
      const response = await fetch(this.url(path, request.query), {
        method,
        headers: this.headers(request),
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: controller.signal,
      });
      // Read the body under the same timeout: a server that stalls mid-body is as down as one
      // that never answers.
      const text = await response.text();
      return this.settle(response, text);
    } catch (cause) {
      const kind = timedOut ? 'timeout' : 'network';
      const message = timedOut
        ? `Spendguard did not answer within ${this.options.timeoutMs} ms`
        : `could not reach Spendguard at ${this.baseUrl}: ${describe(cause)}`;
      return {
        ok: false,
        outcome: { kind },
        error: new UnavailableError(message, {
          status: 0,
          code: kind === 'timeout' ? 'timeout' : 'network_error',
          cause,
        }),
        retryAfter: null,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  private settle(response: Response, text: string): Attempt {
    const body = parseJson(text);
    if (response.ok) return { ok: true, status: response.status, body };
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
    const error = errorFromResponse({
      status: response.status,
      body,
      requestId: response.headers.get('x-request-id'),
      retryAfter,
    });
    return {
      ok: false,
      outcome: { kind: 'response', status: response.status, code: error.code },
      error,
      retryAfter,
    };
  }

  private url(path: string, query: RequestOptions['query']): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) params.set(key, String(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ''}`;
  }

  private headers(request: RequestOptions): Record<string, string> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.apiKey}`,
      accept: 'application/json',
      'user-agent': this.options.userAgent,
    };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
    return headers;
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const inner = cause.cause instanceof Error ? ` (${cause.cause.message})` : '';
    return `${cause.message}${inner}`;
  }
  return String(cause);
}
