// Graceful shutdown under load must not lose an acknowledged event: app.close() drains the group-commit writer,
// and every 201 the clients got is in PostgreSQL; nothing else is (no event stored without its answer being 201/403).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestDatabase, newRedisPrefix, signupAndAdminKey, startTestServer } from '../harness.js';
import { createAgent, postEvent, sql } from './helpers.js';

describe('graceful shutdown', () => {
  it('every acknowledged event is committed when the app closes mid-load', async () => {
    const database = await createTestDatabase();
    const prefix = newRedisPrefix();
    const server = await startTestServer({ databaseUrl: database.url, redisPrefix: prefix });
    try {
      const t = await signupAndAdminKey(server.url);
      await createAgent(server.url, t.adminKey, 'closing');
      const acked: string[] = [];
      const answered: string[] = [];
      let closing: Promise<void> | undefined;
      await Promise.all(
        Array.from({ length: 400 }, async (_, i) => {
          const key = `close-${i}`;
          try {
            const r = await postEvent(server.url, t.adminKey, { agent: 'closing', cost_micros: 10 }, key);
            answered.push(`${key}:${r.status}`);
            if (r.status === 201) acked.push(key);
            if (acked.length === 50 && !closing) closing = server.app.close();
          } catch {
            // refused once the server stopped listening
          }
        }),
      );
      await closing;
      assert.ok(acked.length >= 50, `acked ${acked.length}`);
      const rows = await sql<{ idempotency_key: string }>(
        database.url,
        'SELECT idempotency_key FROM events WHERE customer_id = $1',
        [t.customerId],
      );
      const stored = new Set(rows.map((r) => r.idempotency_key));
      for (const key of acked) assert.ok(stored.has(key), `acknowledged ${key} lost in shutdown`);
      const [daily] = await sql<{ spent: string }>(
        database.url,
        'SELECT coalesce(sum(spent_micros), 0) AS spent FROM spend_daily WHERE customer_id = $1',
        [t.customerId],
      );
      assert.equal(Number(daily?.spent), stored.size * 10);
    } finally {
      await server.close().catch(() => {});
      await database.drop();
    }
  });
});
