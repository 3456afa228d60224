// Sets request.principal according to the route's config.access (see auth/types.ts), before the body is parsed.
// Fail closed: a /v1/ route that forgot to declare its access is admin-only. Routes outside /v1/ without a
// declaration (docs, OpenAPI, health, dashboard files, 404s) are public: they carry no customer data.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { ApiError, forbidden, unauthenticated } from '../http/errors.js';
import { bearerToken } from './bearer.js';
import { safeEqual } from './secrets.js';
import { sessionTokenFrom } from './sessions.js';
import type { Access, Principal } from './types.js';

const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export function accessOf(request: FastifyRequest): Access {
  const declared = request.routeOptions.config?.access;
  if (declared) return declared;
  const url = request.routeOptions.url;
  return url?.startsWith('/v1/') ? 'admin' : 'public';
}

async function authenticate(request: FastifyRequest, ctx: AppContext): Promise<Principal> {
  // A malformed Authorization header is a wrong credential, not an absent one: never fall back to the cookie.
  const bearer = bearerToken(request);
  if (bearer !== undefined) {
    const keys = ctx.auth.apiKeys;
    const principal = request.routeOptions.config?.keyCheckedInDecision
      ? await keys.resolveForDecision(bearer)
      : await keys.resolve(bearer);
    if (!principal) throw unauthenticated();
    return principal;
  }
  const token = sessionTokenFrom(request);
  if (token) {
    const principal = await ctx.auth.sessions.resolve(token);
    if (principal) return principal;
  }
  throw unauthenticated();
}

export function registerAuth(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('principal', null);

  app.addHook('onRequest', async (request) => {
    const access = accessOf(request);
    if (access === 'public') return;
    const principal = await authenticate(request, ctx);
    if (access === 'admin' && principal.type === 'api_key' && principal.kind !== 'admin') {
      throw forbidden('This route needs an admin API key or a dashboard session.');
    }
    // Cookies ride along on cross-site requests; the CSRF token (readable only by our own pages) proves the
    // request came from the dashboard. Keys are never sent automatically by a browser, so they need none.
    if (principal.type === 'user' && WRITE_METHODS.has(request.method)) {
      const sent = request.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !safeEqual(sent, principal.csrfToken)) {
        throw new ApiError(
          'csrf_failed',
          'Send the X-CSRF-Token header returned by login, signup or /v1/auth/me.',
        );
      }
      // One rule for every write route, present and future: a viewer reads (docs/api.md §8).
      if (principal.role === 'viewer' && !request.routeOptions.config?.viewerMayWrite) {
        throw forbidden('A viewer can read everything but change nothing; ask an admin.');
      }
    }
    request.principal = principal;
  });
}

/** The principal of a route with access 'ingest' or 'admin' (the hook guarantees one). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthenticated();
  return request.principal;
}
