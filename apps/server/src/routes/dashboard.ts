// Serves the built dashboard (apps/dashboard/dist): index.html at "/", hashed files under "/assets/".
// Only those two paths are claimed — no catch-all — so unknown API paths still get the API's own 404.
// The dashboard uses hash routing, so no other URL ever needs index.html.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
// For the `config.access` route option it declares.
import type {} from '../auth/types.js';

const NOT_BUILT = 'dashboard not built: run npm run build:dashboard';
/** Vite puts a content hash in every asset's name, so a cached copy can never be stale. */
const ASSET_MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;

export async function dashboardRoutes(app: FastifyInstance, opts: { distDir: string }): Promise<void> {
  // Everything here is public (the page itself holds no data; the API checks the session), and
  // @fastify/static builds its routes without a way to pass `config`, so mark them as they are added.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, access: 'public' };
  });

  // index.html is read per request (it is ~0.5 KiB): a rebuild while the server runs is picked up, and
  // a server started before the first build answers 503 only until the build exists.
  app.get('/', { schema: { hide: true } }, async (_request, reply) => {
    let html: string;
    try {
      html = await readFile(join(opts.distDir, 'index.html'), 'utf8');
    } catch {
      return reply
        .code(503)
        .header('cache-control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send(NOT_BUILT);
    }
    // no-store: index.html names the current hashed bundles, so it must never be cached.
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
  });

  await app.register(fastifyStatic, {
    root: join(opts.distDir, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    schemaHide: true,
    index: false,
    dotfiles: 'deny',
    cacheControl: true,
    maxAge: ASSET_MAX_AGE_MS,
    immutable: true,
  });
}
