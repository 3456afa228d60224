// The brute-force policy (docs/api.md §8): at most 10 failed logins per 15 minutes per email and per client address;
// at most 10 signups per 15 minutes per client address. Over the limit → 429 rate_limited with Retry-After.
import { rateLimited } from '../http/errors.js';
import { type Admission, type AttemptCounter, admit } from './rate-limit.js';
import { sha256Hex } from './secrets.js';

export const WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILED_LOGINS = 10;
export const MAX_SIGNUPS = 10;

export interface BruteForceGuard {
  /**
   * Counts a login attempt; throws 429 when over a limit. Call `succeeded()` on the result after a right password so
   * only failures stay counted (the IP counter is not reset — only this attempt's own slot is given back).
   */
  login(ip: string, email: string): Promise<{ succeeded(): Promise<void> }>;
  /** Counts a signup attempt; throws 429 when over the limit. */
  signup(ip: string): Promise<void>;
}

function enforce(admission: Admission): void {
  if (!admission.allowed) throw rateLimited(admission.retryAfterSeconds);
}

export function createBruteForceGuard(counter: AttemptCounter): BruteForceGuard {
  return {
    async login(ip, email) {
      // Emails are hashed into the key: Redis key names end up in monitoring tools, addresses should not.
      const admission = await admit(counter, [
        { key: `login:ip:${ip}`, max: MAX_FAILED_LOGINS, windowMs: WINDOW_MS },
        { key: `login:email:${sha256Hex(email.toLowerCase())}`, max: MAX_FAILED_LOGINS, windowMs: WINDOW_MS },
      ]);
      enforce(admission);
      return { succeeded: () => admission.giveBack() };
    },
    async signup(ip) {
      enforce(await admit(counter, [{ key: `signup:ip:${ip}`, max: MAX_SIGNUPS, windowMs: WINDOW_MS }]));
    },
  };
}
