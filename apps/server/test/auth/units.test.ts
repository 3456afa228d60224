// Unit-level checks of the auth building blocks: password encoding, route access defaults, key format, safeEqual.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { generateApiKey, looksLikeApiKey } from '../../src/auth/api-keys.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../../src/auth/passwords.js';
import { accessOf } from '../../src/auth/plugin.js';
import { safeEqual, sha256Hex } from '../../src/auth/secrets.js';

describe('passwords (scrypt)', () => {
  it('encodes scrypt$N$r$p$salt$hash with OWASP parameters and verifies only the right password', async () => {
    const encoded = await hashPassword('correct horse battery staple');
    const parts = encoded.split('$');
    assert.equal(parts.length, 6);
    assert.deepEqual(parts.slice(0, 4), ['scrypt', String(2 ** 17), '8', '1']);
    assert.equal(Buffer.from(parts[4] ?? '', 'base64url').length, 16);
    assert.equal(Buffer.from(parts[5] ?? '', 'base64url').length, 32);
    assert.equal(await verifyPassword('correct horse battery staple', encoded), true);
    assert.equal(await verifyPassword('correct horse battery staplE', encoded), false);
    // Fresh salt every time.
    assert.notEqual(await hashPassword('correct horse battery staple'), encoded);
  });

  it('treats malformed or hostile stored hashes as a wrong password, never a crash', async () => {
    for (const bad of [
      '',
      'plain',
      'bcrypt$x',
      'scrypt$99999999999$8$1$c2FsdA$aGFzaA',
      'scrypt$1024$8$1$$',
    ]) {
      assert.equal(await verifyPassword('whatever-password', bad), false, bad);
    }
  });

  it('the dummy check for unknown emails costs a real scrypt', async () => {
    const t = performance.now();
    await burnPasswordCheck('some-password');
    assert.ok(performance.now() - t > 20);
  });
});

describe('route access defaults (fail closed)', () => {
  const req = (url: string | undefined, access?: 'public' | 'ingest' | 'admin') =>
    ({ routeOptions: { url, config: access ? { access } : {} } }) as unknown as FastifyRequest;
  it('treats an undeclared /v1/ route as admin and other undeclared routes as public', () => {
    assert.equal(accessOf(req('/v1/something')), 'admin');
    assert.equal(accessOf(req('/v1/agents/:name', 'ingest')), 'ingest');
    assert.equal(accessOf(req('/v1/auth/login', 'public')), 'public');
    assert.equal(accessOf(req('/docs/*')), 'public');
    assert.equal(accessOf(req('/assets/*')), 'public');
    assert.equal(accessOf(req(undefined)), 'public');
  });
});

describe('API key format', () => {
  it('is sg_<kind>_ + 40 base62 chars with a 4-char prefix and a SHA-256 hash', () => {
    for (const kind of ['ingest', 'admin'] as const) {
      const k = generateApiKey(kind);
      assert.match(k.key, new RegExp(`^sg_${kind}_[0-9A-Za-z]{40}$`));
      assert.equal(k.prefix, k.key.slice(0, `sg_${kind}_`.length + 4));
      assert.equal(k.hash, sha256Hex(k.key));
      assert.equal(looksLikeApiKey(k.key), true);
    }
    assert.equal(looksLikeApiKey('sg_ingest_short'), false);
    assert.equal(looksLikeApiKey(`sg_other_${'a'.repeat(40)}`), false);
    assert.equal(looksLikeApiKey(`sg_admin_${'a'.repeat(39)}!`), false);
  });
});

describe('safeEqual', () => {
  it('compares strings of any lengths', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('abc', 'abcd'), false);
    assert.equal(safeEqual('', ''), true);
  });
});
