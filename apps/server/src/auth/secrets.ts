// Small crypto helpers shared by sessions, API keys and CSRF checks.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** 32 random bytes, base64url: session tokens and CSRF tokens. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Constant-time string equality. Both sides are hashed first so the comparison takes the same time whatever the
 * lengths (timingSafeEqual itself throws on different lengths, which would leak the length).
 */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
