// The storage layer against BOTH backends: the PostgreSQL server (pg) and embedded PGlite run the same SQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { migrate } from '../src/db/migrate.js';
import { createPostgresDb } from '../src/db/postgres.js';
import type { Db } from '../src/db/types.js';
import { type Backend, createTestDatabase, openTestDb } from './harness.js';

for (const backend of ['postgres', 'pglite'] as Backend[]) {
  describe(`storage on ${backend}`, () => {
    let db: Db;
    let close: () => Promise<void>;
    before(async () => {
      ({ db, close } = await openTestDb(backend));
    });
    after(async () => {
      await close();
    });

    it('applies every migration once; a second run applies nothing', async () => {
      const { rows } = await db.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      assert.ok(rows.length >= 1);
      assert.deepEqual(await migrate(db), []);
    });

    it('stores money as BIGINT and reads it back as exact safe integers', async () => {
      const big = 9_007_199_254_740_991; // Number.MAX_SAFE_INTEGER micros
      await db.query(`INSERT INTO customers (id, name, month_limit_micros) VALUES ('cus_money', 'M', $1)`, [
        big,
      ]);
      const { rows } = await db.query<{ month_limit_micros: number }>(
        `SELECT month_limit_micros FROM customers WHERE id = 'cus_money'`,
      );
      assert.equal(rows[0]?.month_limit_micros, big);
      assert.equal(typeof rows[0]?.month_limit_micros, 'number');
    });

    it('refuses to read an int8 that would lose precision', async () => {
      await assert.rejects(db.query('SELECT 9007199254740993::bigint AS n'), /safe integer/);
    });

    it('rolls a failed transaction back completely', async () => {
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query(`INSERT INTO customers (id, name) VALUES ('cus_tx', 'T')`);
          await tx.query('SELECT * FROM no_such_table');
        }),
      );
      const { rows } = await db.query(`SELECT id FROM customers WHERE id = 'cus_tx'`);
      assert.equal(rows.length, 0);
    });

    it('enforces case-insensitive unique emails and one idempotency key per customer', async () => {
      await db.query(`INSERT INTO customers (id, name) VALUES ('cus_u', 'U')`);
      await db.query(
        `INSERT INTO users (id, customer_id, email, password_hash) VALUES ('usr_1','cus_u','A@x.io','h')`,
      );
      await assert.rejects(
        db.query(
          `INSERT INTO users (id, customer_id, email, password_hash) VALUES ('usr_2','cus_u','a@X.io','h')`,
        ),
        /unique|duplicate/i,
      );
    });
  });
}

describe('migrations on a PostgreSQL server', () => {
  it('two instances migrating at once apply each migration exactly once', async () => {
    const database = await createTestDatabase();
    const a = createPostgresDb({ url: database.url });
    const b = createPostgresDb({ url: database.url });
    try {
      const [appliedA, appliedB] = await Promise.all([migrate(a), migrate(b)]);
      // Exactly one of them did the work; the other waited on the advisory lock and found nothing to do.
      assert.ok(appliedA.length === 0 || appliedB.length === 0);
      assert.ok(appliedA.length + appliedB.length > 0);
      const { rows } = await a.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      assert.equal(rows[0]?.n, Math.max(appliedA.length, appliedB.length));
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });

  it('answers fast with an error when the server is unreachable (bounded connect timeout)', async () => {
    const db = createPostgresDb({ url: 'postgres://postgres@127.0.0.1:1/none', connectTimeoutMs: 500 });
    const started = Date.now();
    await assert.rejects(db.query('SELECT 1'));
    assert.ok(Date.now() - started < 2_000);
    await db.close();
  });
});
