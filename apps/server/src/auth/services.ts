// Auth services (sessions, API key lookup cache, rate limiter). Filled in by the accounts/auth work.
import type { BaseContext } from '../context.js';

// biome-ignore lint/complexity/noBannedTypes: placeholder until the auth services land
export type AuthServices = {};

export async function createAuthServices(_base: BaseContext): Promise<AuthServices> {
  return {};
}
