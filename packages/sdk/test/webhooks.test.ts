// verifyWebhook against signatures computed here from the scheme's definition (docs/api.md §13), not by the SDK; the
// server's own deliveries are verified with it in apps/server/test/webhooks.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { verifyWebhook, WebhookVerificationError } from '../src/index.js';

const secret = 'whsec_test_0123456789';
const body = '{"id":"whevt_1","type":"webhook.test","created_at":"2026-12-03T00:00:00.000Z","data":{}}';
const t = 1_800_000_000;
const sign = (b: string, s = secret, at = t) => createHmac('sha256', s).update(`${at}.${b}`).digest('hex');

describe('verifyWebhook', () => {
  it('returns the alert of a valid delivery, from a string or the raw bytes', async () => {
    const header = `t=${t},v1=${sign(body)}`;
    assert.equal((await verifyWebhook(body, header, secret, { now: t })).id, 'whevt_1');
    assert.equal(
      (await verifyWebhook(new TextEncoder().encode(body), header, secret, { now: t + 299 })).type,
      'webhook.test',
    );
  });

  it('accepts any matching v1 (a rotation) and ignores malformed ones', async () => {
    const header = `t=${t},v1=${'0'.repeat(64)},v1=zz,v1=${sign(body)}`;
    assert.equal((await verifyWebhook(body, header, secret, { now: t })).id, 'whevt_1');
  });

  it('refuses a tampered body, another secret, a stale or future timestamp, a missing or malformed header', async () => {
    const header = `t=${t},v1=${sign(body)}`;
    const refused = (f: () => Promise<unknown>) => assert.rejects(f, WebhookVerificationError);
    await refused(() =>
      verifyWebhook(body.replace('webhook.test', 'agent.resumed'), header, secret, { now: t }),
    );
    await refused(() => verifyWebhook(body, header, `${secret}x`, { now: t }));
    await refused(() => verifyWebhook(body, header, secret, { now: t + 301 }));
    await refused(() => verifyWebhook(body, header, secret, { now: t - 301 }));
    await refused(() => verifyWebhook(body, undefined, secret, { now: t }));
    await refused(() => verifyWebhook(body, `v1=${sign(body)}`, secret, { now: t }));
    await refused(() => verifyWebhook(body, `t=${t}`, secret, { now: t }));
    // Signed with another timestamp than the one the header claims.
    await refused(() => verifyWebhook(body, `t=${t},v1=${sign(body, secret, t - 1)}`, secret, { now: t }));
  });
});
