// Sets request.principal according to the route's config.access. Filled in by the accounts/auth work.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

export function registerAuth(app: FastifyInstance, _ctx: AppContext): void {
  app.decorateRequest('principal', null);
}
