// Who is calling. Set on every request by the auth plugin (auth/plugin.ts) according to the route's
// `config.access`; route handlers read `request.principal`.

/** docs/api.md §8: `owner` (the signup) and `admin` may do everything, a `viewer` only reads (and logs out). */
export type Role = 'owner' | 'admin' | 'viewer';

export type Principal =
  | {
      type: 'user';
      customerId: string;
      userId: string;
      role: Role;
      sessionTokenHash: string;
      csrfToken: string;
    }
  | { type: 'api_key'; customerId: string; keyId: string; kind: 'ingest' | 'admin'; agentId: string | null };

/**
 * - `public`: no credentials (health, login, signup, docs).
 * - `ingest`: any API key (ingest or admin) or a dashboard session. An agent-bound ingest key may act on its agent only:
 *   routes check that with `assertAgentAllowed`.
 * - `admin`: an admin key or a dashboard session; an ingest key gets `403 forbidden`.
 * Cookie-authenticated writes (POST/PATCH/PUT/DELETE) additionally need a valid `X-CSRF-Token`, and are refused to a
 * `viewer` user unless the route says `viewerMayWrite` (logout).
 */
export type Access = 'public' | 'ingest' | 'admin';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    access?: Access;
    /** A write a viewer may make (only logout): every other write of a viewer session is 403. */
    viewerMayWrite?: boolean;
    /**
     * The route's atomic decision checks the API key's revocation before it changes anything (SpendRequest.apiKeyId):
     * the key may be resolved from the instance's memory, without a Redis command (auth/api-keys.ts).
     */
    keyCheckedInDecision?: boolean;
  }
}
