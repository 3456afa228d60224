// Signed deliveries (docs/api.md §13), Stripe's scheme: `Spendguard-Signature: t=<unix seconds>,v1=<hex
// HMAC-SHA256(secret, "<t>.<raw body>")>`. The timestamp is signed with the body, so a receiver that refuses old
// timestamps refuses replays; the comparison is constant-time. The SDK's verifyWebhook is the receiver's side.
import { createHmac, randomBytes } from 'node:crypto';

export const SIGNATURE_HEADER = 'spendguard-signature';
export const EVENT_ID_HEADER = 'spendguard-event-id';

/** A new endpoint secret: `whsec_` + 32 random bytes, base64url. The key is this whole string as UTF-8. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function hmacHex(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(`${timestamp}.${body}`, 'utf8')
    .digest('hex');
}

export function signatureHeader(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmacHex(secret, timestamp, body)}`;
}
