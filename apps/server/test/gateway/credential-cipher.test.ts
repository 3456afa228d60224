// The provider-credential cipher (docs/api.md §12): AES-256-GCM with a key id in every ciphertext, a keyring for
// rotation, a fresh IV every time, and refusal — never a wrong plain text — for anything altered.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  CiphertextError,
  createCredentialCipher,
  keyId,
  parseEncryptionKey,
  UnknownKeyIdError,
} from '../../src/gateway/credential-cipher.js';

const SECRET = 'sk-test-0123456789abcdefSECRET';
const CONTEXT = 'cus_a\u0000openai';

/** The ciphertext with part `index` (0 version … 4 ciphertext) replaced by `edit` of it. */
function alter(ciphertext: string, index: number, edit: (part: string) => string): string {
  const parts = ciphertext.split('.');
  parts[index] = edit(parts[index] as string);
  return parts.join('.');
}

/** The base64url text with its first byte's bits flipped (still valid base64url, same length). */
function flipFirstByte(part: string): string {
  const bytes = Buffer.from(part, 'base64url');
  bytes[0] = (bytes[0] as number) ^ 0xff;
  return bytes.toString('base64url');
}

describe('credential cipher', () => {
  it('round-trips, in the v1.<kid>.<iv>.<tag>.<ct> format, the kid being sha256(key)[0..8]', () => {
    const key = randomBytes(32);
    const cipher = createCredentialCipher({ current: key, previous: [] });
    const ciphertext = cipher.encrypt(SECRET, CONTEXT);
    const kid = createHash('sha256').update(key).digest('hex').slice(0, 8);
    assert.equal(keyId(key), kid);
    assert.equal(cipher.currentKeyId, kid);
    assert.match(
      ciphertext,
      new RegExp(`^v1\\.${kid}\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]+$`),
    );
    assert.equal(cipher.keyIdOf(ciphertext), kid);
    assert.ok(!ciphertext.includes(SECRET));
    assert.equal(cipher.decrypt(ciphertext, CONTEXT), SECRET);
    assert.equal(cipher.decrypt(cipher.encrypt('', CONTEXT), CONTEXT), '');
  });

  it('uses a random IV each time: the same plain text never gives the same ciphertext', () => {
    const cipher = createCredentialCipher({ current: randomBytes(32), previous: [] });
    const seen = new Set<string>();
    const ivs = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const c = cipher.encrypt(SECRET, CONTEXT);
      seen.add(c);
      ivs.add(c.split('.')[2] as string);
    }
    assert.equal(seen.size, 50);
    assert.equal(ivs.size, 50);
  });

  it('refuses a tampered ciphertext, tag or IV, another context, and a malformed string', () => {
    const cipher = createCredentialCipher({ current: randomBytes(32), previous: [] });
    const good = cipher.encrypt(SECRET, CONTEXT);
    for (const [what, bad] of [
      ['ciphertext', alter(good, 4, flipFirstByte)],
      ['tag', alter(good, 3, flipFirstByte)],
      ['iv', alter(good, 2, flipFirstByte)],
      ['truncated ciphertext', alter(good, 4, (p) => p.slice(0, -2))],
    ] as const) {
      assert.throws(() => cipher.decrypt(bad, CONTEXT), CiphertextError, what);
    }
    // Copied into another customer's row: the associated data differs, the tag does not verify.
    assert.throws(() => cipher.decrypt(good, 'cus_b\u0000openai'), CiphertextError);
    assert.throws(() => cipher.decrypt(good, 'cus_a\u0000anthropic'), CiphertextError);
    for (const bad of [
      '',
      'v1',
      `v2.${good.slice(3)}`,
      good.replace(/\.[^.]+$/, ''),
      `${good}.x`,
      alter(good, 4, () => '!!'),
    ]) {
      assert.throws(() => cipher.decrypt(bad, CONTEXT), CiphertextError, bad);
    }
  });

  it('a tampered key id is an unknown key id, named in the error (never the key)', () => {
    const key = randomBytes(32);
    const cipher = createCredentialCipher({ current: key, previous: [] });
    const good = cipher.encrypt(SECRET, CONTEXT);
    const otherKid = keyId(randomBytes(32));
    const error = (() => {
      try {
        cipher.decrypt(
          alter(good, 1, () => otherKid),
          CONTEXT,
        );
      } catch (e) {
        return e;
      }
      return null;
    })();
    assert.ok(error instanceof UnknownKeyIdError);
    assert.equal(error.keyId, otherKid);
    assert.match(error.message, new RegExp(`key id ${otherKid}`));
    assert.match(error.message, /SPENDGUARD_ENCRYPTION_KEY/);
    for (const text of [key.toString('hex'), key.toString('base64'), key.toString('base64url')]) {
      assert.ok(!error.message.includes(text));
    }
  });

  it('rotation: old ciphertexts decrypt under a previous key, new ones carry the new kid; without it they do not', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = createCredentialCipher({ current: oldKey, previous: [] });
    const old = before.encrypt(SECRET, CONTEXT);
    const rotated = createCredentialCipher({ current: newKey, previous: [oldKey] });
    assert.equal(rotated.currentKeyId, keyId(newKey));
    assert.equal(rotated.keyIdOf(old), keyId(oldKey));
    assert.equal(rotated.decrypt(old, CONTEXT), SECRET);
    const fresh = rotated.encrypt(SECRET, CONTEXT);
    assert.equal(rotated.keyIdOf(fresh), keyId(newKey));
    assert.equal(rotated.decrypt(fresh, CONTEXT), SECRET);
    // The old key alone cannot read what the new one wrote; the new key alone cannot read the old rows.
    assert.throws(() => before.decrypt(fresh, CONTEXT), UnknownKeyIdError);
    assert.throws(
      () => createCredentialCipher({ current: newKey, previous: [] }).decrypt(old, CONTEXT),
      UnknownKeyIdError,
    );
  });

  it('without a current key it still decrypts with previous keys but refuses to encrypt', () => {
    const oldKey = randomBytes(32);
    const old = createCredentialCipher({ current: oldKey, previous: [] }).encrypt(SECRET, CONTEXT);
    const readOnly = createCredentialCipher({ current: null, previous: [oldKey] });
    assert.equal(readOnly.currentKeyId, null);
    assert.equal(readOnly.decrypt(old, CONTEXT), SECRET);
    assert.throws(() => readOnly.encrypt(SECRET, CONTEXT), /SPENDGUARD_ENCRYPTION_KEY/);
    assert.throws(() => createCredentialCipher({ current: randomBytes(16), previous: [] }), RangeError);
  });

  it('reads a key as 64 hex characters or 32 bytes of base64 / base64url, and nothing else', () => {
    const key = randomBytes(32);
    for (const text of [
      key.toString('hex'),
      key.toString('hex').toUpperCase(),
      key.toString('base64'),
      key.toString('base64').replace(/=$/, ''),
      key.toString('base64url'),
      ` ${key.toString('hex')}\n`,
    ]) {
      assert.deepEqual(parseEncryptionKey(text), key, text);
    }
    for (const bad of [
      '',
      'x'.repeat(64),
      key.toString('hex').slice(0, 62),
      `${key.toString('hex')}00`,
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('base64'),
      randomBytes(48).toString('base64'),
      'correct horse battery staple correct horse battery',
    ]) {
      assert.equal(parseEncryptionKey(bad), null, bad);
    }
  });
});
