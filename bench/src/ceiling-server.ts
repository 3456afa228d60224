// The ceiling: a bare Fastify server whose POST /v1/events only parses the same JSON body and answers 201.
// No auth, no validation, no budget, no database — what this machine's Node + Fastify can do at best.
// Usage: node --import tsx bench/src/ceiling-server.ts <port>
import Fastify from 'fastify';

const port = Number(process.argv[2] ?? 0);
const app = Fastify({ logger: false });
app.post('/v1/events', async (request, reply) => {
  const body = request.body as { agent?: string; cost_micros?: number };
  reply.code(201);
  return { event: { agent: body.agent, cost_micros: body.cost_micros, status: 'accepted' } };
});
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port });
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
