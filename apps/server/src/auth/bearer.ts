// The credential of `Authorization: Bearer <token>`: the API's routes (auth/plugin.ts) and the gateway's
// (gateway/caller.ts) read it the same way.
import type { FastifyRequest } from 'fastify';

/** The token; '' for a malformed header (a wrong credential, not an absent one); undefined without the header. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}
