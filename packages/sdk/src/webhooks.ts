// Verifying Spendguard's webhook deliveries (docs/api.md §13) on the receiving side. Each delivery carries
// `Spendguard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`; the secret is the endpoint's
// `whsec_…` string exactly as the create call returned it. Verify the RAW body (the bytes received, before any JSON
// parsing): re-serialised JSON differs. Stale timestamps are refused (replays), any of several v1 values may match
// (during a secret rotation). WebCrypto (global in Node ≥ 20, browsers, edge runtimes) keeps the SDK free of imports;
// its HMAC verify compares in constant time.

/** How far the signed time may be from this machine's clock, by default. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** A delivered alert: `data` depends on `type` (budget.threshold, agent.suspended, agent.resumed, webhook.test). */
export interface WebhookEvent<T = Record<string, unknown>> {
  id: string;
  type: string;
  created_at: string;
  data: T;
}

/** The delivery is not from Spendguard, was altered, or is too old: answer it 400 and do not act on it. */
export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

export interface VerifyWebhookOptions {
  /** Default WEBHOOK_TOLERANCE_SECONDS. */
  toleranceSeconds?: number;
  /** The current time in unix seconds (tests). */
  now?: number;
}

/**
 * The alert of a delivery whose `Spendguard-Signature` header signs `rawBody` with `secret`; rejects with
 * WebhookVerificationError otherwise. Deduplicate on `event.id` (also the `Spendguard-Event-Id` header): a retried
 * delivery carries the same id and the same bytes.
 */
export async function verifyWebhook<T = Record<string, unknown>>(
  rawBody: string | Uint8Array,
  header: string | null | undefined,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent<T>> {
  if (!header) throw new WebhookVerificationError('The Spendguard-Signature header is missing.');
  const encoder = new TextEncoder();
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const pairs = header.split(',').map((part) => {
    const at = part.indexOf('=');
    return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
  });
  const t = Number(pairs.find(([k]) => k === 't')?.[1]);
  if (!Number.isSafeInteger(t))
    throw new WebhookVerificationError('The signature has no valid timestamp (t=).');
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS)) {
    throw new WebhookVerificationError(
      'The signature timestamp is outside the tolerance (a replay, or a wrong clock).',
    );
  }
  const prefix = encoder.encode(`${t}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  const key = await globalThis.crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  let matches = false;
  for (const [k, v] of pairs) {
    if (k !== 'v1' || !/^[0-9a-f]{64}$/.test(v)) continue;
    const signature = new Uint8Array(v.match(/../g)?.map((h) => Number.parseInt(h, 16)) ?? []);
    if (await globalThis.crypto.subtle.verify('HMAC', key, signature, signed)) matches = true;
  }
  if (!matches) throw new WebhookVerificationError('The signature does not match this body and secret.');
  try {
    return JSON.parse(new TextDecoder().decode(body)) as WebhookEvent<T>;
  } catch {
    throw new WebhookVerificationError('The signed body is not JSON.');
  }
}
