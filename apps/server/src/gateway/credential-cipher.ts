// Provider credentials at rest (docs/api.md §12): AES-256-GCM under SPENDGUARD_ENCRYPTION_KEY, with a keyring so the
// key can be rotated — the current key encrypts, previous keys (SPENDGUARD_ENCRYPTION_KEY_PREVIOUS) only decrypt.
//
// A ciphertext is one string: `v1.<kid>.<iv>.<tag>.<ct>` — a format version, the id of the key that encrypted it (the
// first 8 hex characters of SHA-256 of the key: names the key without revealing it), then the 12-byte random IV, the
// 16-byte GCM tag and the ciphertext, each base64url. The caller's context (customer and provider) is authenticated as
// associated data, so a ciphertext copied into another customer's row does not decrypt there.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KID = /^[0-9a-f]{8}$/;
const B64URL = /^[A-Za-z0-9_-]*$/;

/** The id a key is named by in ciphertexts and messages: first 8 hex characters of its SHA-256. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * A key as an operator writes it: 64 hex characters, or 32 bytes in base64 / base64url (43 characters, or 44 with
 * the padding `=`). Anything else is null; the caller says what is wrong without echoing the value.
 */
export function parseEncryptionKey(text: string): Buffer | null {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/]{43}=?$/.test(t) || /^[A-Za-z0-9_-]{43}=?$/.test(t)) {
    const key = Buffer.from(t, 'base64');
    return key.length === KEY_BYTES ? key : null;
  }
  return null;
}

/** A ciphertext names a key id this server has no key for. The message names the id, never a secret. */
export class UnknownKeyIdError extends Error {
  override name = 'UnknownKeyIdError';
  constructor(readonly keyId: string) {
    super(
      `the provider credential was encrypted under key id ${keyId}, which is not configured: set ` +
        'SPENDGUARD_ENCRYPTION_KEY or SPENDGUARD_ENCRYPTION_KEY_PREVIOUS to that key, or store the credential again',
    );
  }
}

/** A ciphertext that is malformed, or whose tag does not verify (tampered, wrong context, or a wrong key). */
export class CiphertextError extends Error {
  override name = 'CiphertextError';
}

export interface Keyring {
  /** The key new ciphertexts are written under; null: none configured (production without the variable). */
  current: Buffer | null;
  /** Older keys, read only: ciphertexts under them still decrypt (and are re-encrypted under the current one). */
  previous: Buffer[];
}

export interface CredentialCipher {
  /** Key id of the current key; null when there is none (encrypt then throws). */
  readonly currentKeyId: string | null;
  /** `v1.<kid>.<iv>.<tag>.<ct>` of the plain text under the current key; a fresh random IV every time. */
  encrypt(plaintext: string, context: string): string;
  /** The plain text, or UnknownKeyIdError / CiphertextError. `context` must be the one it was encrypted with. */
  decrypt(ciphertext: string, context: string): string;
  /** The key id a ciphertext names (null when it is not one of ours). */
  keyIdOf(ciphertext: string): string | null;
}

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new RangeError(`an encryption key is ${KEY_BYTES} bytes`);
}

export function createCredentialCipher(keyring: Keyring): CredentialCipher {
  const keys = new Map<string, Buffer>();
  // Previous first, so the current key wins should an operator list it among the previous ones too.
  for (const key of keyring.previous) {
    checkKey(key);
    keys.set(keyId(key), key);
  }
  const current = keyring.current;
  if (current) checkKey(current);
  const currentKeyId = current ? keyId(current) : null;
  if (current && currentKeyId) keys.set(currentKeyId, current);

  const parse = (ciphertext: string) => {
    const parts = ciphertext.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION)
      throw new CiphertextError('not a v1 credential ciphertext');
    const [, kid, iv, tag, ct] = parts as [string, string, string, string, string];
    if (!KID.test(kid) || ![iv, tag, ct].every((p) => B64URL.test(p))) {
      throw new CiphertextError('malformed credential ciphertext');
    }
    return {
      kid,
      iv: Buffer.from(iv, 'base64url'),
      tag: Buffer.from(tag, 'base64url'),
      ct: Buffer.from(ct, 'base64url'),
    };
  };

  return {
    currentKeyId,
    encrypt(plaintext, context) {
      if (!current || !currentKeyId)
        throw new Error('no encryption key is configured (SPENDGUARD_ENCRYPTION_KEY)');
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, current, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [
        VERSION,
        currentKeyId,
        iv.toString('base64url'),
        tag.toString('base64url'),
        ct.toString('base64url'),
      ].join('.');
    },
    decrypt(ciphertext, context) {
      const { kid, iv, tag, ct } = parse(ciphertext);
      const key = keys.get(kid);
      if (!key) throw new UnknownKeyIdError(kid);
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES)
        throw new CiphertextError('malformed credential ciphertext');
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
      } catch {
        throw new CiphertextError(
          `the provider credential under key id ${kid} does not verify (altered, or stored for another customer)`,
        );
      }
    },
    keyIdOf(ciphertext) {
      try {
        return parse(ciphertext).kid;
      } catch {
        return null;
      }
    },
  };
}
