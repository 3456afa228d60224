// The key provider credentials are encrypted under (docs/api.md §11, §12), at start: a new SPENDGUARD_ENCRYPTION_KEY
// with the old one in SPENDGUARD_ENCRYPTION_KEY_PREVIOUS re-encrypts every stored credential under the new key (and
// says how many); a server without the key a credential needs says which key id is missing, and refuses to use it;
// in production a start without any key while credentials are stored fails with one clear line.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { keyId } from '../../src/gateway/credential-cipher.js';
import { CredentialUnreadableError } from '../../src/gateway/credentials.js';
import { loggerOptions } from '../../src/observability/logger.js';
import { runServerToExit, startSecondInstance, startTestServer, type TestServer } from '../harness.js';
import { type CustomerWithKeys, customersWithKeys, expectStatus, injectJson } from '../routes/inject.js';

class MemoryStream extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

const memoryLogger = (sink: MemoryStream) =>
  pino(loggerOptions('info') as pino.LoggerOptions, sink) as unknown as FastifyBaseLogger;

const OLD = randomBytes(32);
const NEW = randomBytes(32);
const KEYS = { openai: 'sk-proj-rotate-0123456789abcd', anthropic: 'sk-ant-rotate-0123456789wxyz' } as const;

describe('encryption key rotation and missing keys', () => {
  let first: TestServer;
  const later: TestServer[] = [];
  let a: CustomerWithKeys;
  let b: CustomerWithKeys;
  before(async () => {
    first = await startTestServer({ env: { SPENDGUARD_ENCRYPTION_KEY: OLD.toString('hex') } });
    [a, b] = (await customersWithKeys(first.app, 2)) as [CustomerWithKeys, CustomerWithKeys];
    for (const c of [a, b]) {
      for (const provider of ['openai', 'anthropic'] as const) {
        expectStatus(
          await injectJson(first.app, `/v1/providers/${provider}`, {
            key: c.admin.key,
            method: 'PUT',
            body: { api_key: KEYS[provider] },
          }),
          200,
        );
      }
    }
  });
  after(async () => {
    for (const s of later.reverse()) await s.close();
    await first.close();
  });

  const kids = async () =>
    (
      await first.app.ctx.db.query<{ kid: string }>(
        `SELECT split_part(key_ciphertext, '.', 2) AS kid FROM provider_credentials ORDER BY customer_id, provider`,
      )
    ).rows.map((r) => r.kid);

  it('a new key with the old one as previous re-encrypts every credential at start, logging how many', async () => {
    assert.deepEqual(await kids(), [keyId(OLD), keyId(OLD), keyId(OLD), keyId(OLD)]);
    const sink = new MemoryStream();
    const rotated = await startSecondInstance(first, {
      redis: false,
      logger: memoryLogger(sink),
      env: {
        SPENDGUARD_ENCRYPTION_KEY: NEW.toString('base64url'),
        SPENDGUARD_ENCRYPTION_KEY_PREVIOUS: OLD.toString('hex'),
      },
    });
    later.push(rotated);
    assert.deepEqual(await kids(), [keyId(NEW), keyId(NEW), keyId(NEW), keyId(NEW)]);
    assert.match(sink.text, /re-encrypted 4 provider credential\(s\) under the current key/);
    assert.match(sink.text, /"count":4/);
    for (const secret of [...Object.values(KEYS), OLD.toString('hex'), NEW.toString('base64url')]) {
      assert.ok(!sink.text.includes(secret), 'the log carries no key');
    }
    for (const c of [a, b]) {
      assert.equal(
        (await rotated.app.ctx.providers.credentialFor(c.customerId, 'openai'))?.apiKey,
        KEYS.openai,
      );
      assert.equal(
        (await rotated.app.ctx.providers.credentialFor(c.customerId, 'anthropic'))?.apiKey,
        KEYS.anthropic,
      );
    }
  });

  it('after the rotation the new key alone reads everything, and re-encrypts nothing', async () => {
    const sink = new MemoryStream();
    const fresh = await startSecondInstance(first, {
      redis: false,
      logger: memoryLogger(sink),
      env: { SPENDGUARD_ENCRYPTION_KEY: NEW.toString('hex') },
    });
    later.push(fresh);
    assert.doesNotMatch(sink.text, /re-encrypted/);
    assert.equal((await fresh.app.ctx.providers.credentialFor(a.customerId, 'openai'))?.apiKey, KEYS.openai);
  });

  it('a server without the key says which key id is missing, at start and on use, and still starts', async () => {
    const sink = new MemoryStream();
    const stale = await startSecondInstance(first, {
      redis: false,
      logger: memoryLogger(sink),
      env: { SPENDGUARD_ENCRYPTION_KEY: OLD.toString('hex') },
    });
    later.push(stale);
    assert.match(
      sink.text,
      new RegExp(
        `4 provider credential\\(s\\) are encrypted under key id ${keyId(NEW)}, which is not configured`,
      ),
    );
    const error = await stale.app.ctx.providers.credentialFor(a.customerId, 'openai').then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof CredentialUnreadableError, String(error));
    assert.equal(error.keyId, keyId(NEW));
    assert.equal(error.provider, 'openai');
    assert.match(error.message, new RegExp(`key id ${keyId(NEW)}`));
    assert.ok(!error.message.includes(NEW.toString('hex')) && !error.message.includes(OLD.toString('hex')));
    // The rows it could not read are left as they were.
    assert.deepEqual(await kids(), [keyId(NEW), keyId(NEW), keyId(NEW), keyId(NEW)]);
  });

  it('production without SPENDGUARD_ENCRYPTION_KEY and credentials stored: the process stops with one clear line', () => {
    const { status, stderr } = runServerToExit({
      NODE_ENV: 'production',
      SPENDGUARD_DATABASE_URL: first.databaseUrl as string,
      SPENDGUARD_SESSION_SECRET: randomBytes(32).toString('hex'),
      SPENDGUARD_DATA_DIR: mkdtempSync(join(tmpdir(), 'sg-keys-')),
      SPENDGUARD_PORT: '0',
      SPENDGUARD_LOG_LEVEL: 'silent',
    });
    assert.equal(status, 1, stderr);
    assert.match(
      stderr,
      /failed to start: SPENDGUARD_ENCRYPTION_KEY is required when NODE_ENV=production and provider credentials are stored \(4 stored\)/,
    );
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  });
});
