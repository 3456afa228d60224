// GET /v1/stream (docs/api.md §9): Server-Sent Events for the dashboard — `spend`, `agent`, `declined` — from the bus
// channel of the caller's customer only. Any instance's change reaches every stream through the bus (Redis
// pub/sub with Redis configured). A comment line every 15 s keeps proxies from closing an idle stream.
import type { FastifyInstance } from 'fastify';
import { customerChannel } from '../../agents/live-channel.js';
import { principalOf } from '../../auth/plugin.js';
import type { AppContext } from '../../context.js';
import { errors } from '../../schemas/common.js';

const HEARTBEAT_MS = 15_000;

export async function streamRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  // Open streams never end by themselves, so the server's close would wait on them until the shutdown deadline:
  // before it closes, each is ended (the dashboard's EventSource reconnects to another instance or on restart).
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of open) end();
  });

  app.get(
    '/v1/stream',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['stream'],
        summary: 'Live spend, agent changes and declines (text/event-stream)',
        description:
          'Server-Sent Events of the caller’s customer: `spend` (agent and its spend after an event), `agent` ' +
          '(status or limits changed: the agent object), `declined` (agent and error code). A change on any ' +
          'instance reaches every stream within a second; a comment line every 15 s keeps proxies from closing it.',
        response: {
          200: {
            description: 'the event stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errors(401, 403, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const raw = reply.raw;
      // Headers set by hooks so far (request id, Helmet) travel with the hijacked response.
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
      }
      reply.hijack();
      raw.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write(': connected\n\n');
      ctx.metrics.sseClients.inc();

      const unsubscribe = await ctx.bus.subscribe(customerChannel(principal.customerId), (message) => {
        const m = message as { type?: unknown; data?: unknown };
        if (m.type !== 'spend' && m.type !== 'agent' && m.type !== 'declined') return;
        raw.write(`event: ${m.type}\ndata: ${JSON.stringify(m.data)}\n\n`);
      });
      const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      let closed = false;
      const end = () => raw.end();
      open.add(end);
      const cleanup = () => {
        if (closed) return;
        closed = true;
        open.delete(end);
        clearInterval(heartbeat);
        ctx.metrics.sseClients.dec();
        void unsubscribe().catch(() => {});
      };
      request.raw.on('close', cleanup);
      raw.on('close', cleanup);
      raw.on('error', cleanup);
    },
  );
}
