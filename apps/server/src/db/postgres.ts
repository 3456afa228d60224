// PostgreSQL server backend (pg). Every wait is bounded so an outage answers fast instead of hanging:
// pg waits forever by default (DESIGN §2).
import pg from 'pg';
import { IDLE_IN_TRANSACTION_MS, STATEMENT_TIMEOUT_MS } from '../spend/bounds.js';
import { type Db, type PreparedSql, parseInt8, type Queryable, type QueryResult } from './types.js';

const INT8_OID = 20;

const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return parseInt8;
    return pg.types.getTypeParser(oid, format);
  },
};

export interface PostgresOptions {
  url: string;
  maxConnections?: number;
  /** Per-statement cap; also enforced client side so a dead server cannot hang a request. */
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
}

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<R>(sql: string | PreparedSql, params?: unknown[]): Promise<QueryResult<R>> {
      const result = await client.query({
        ...(typeof sql === 'string' ? { text: sql } : { name: sql.name, text: sql.text }),
        values: params as unknown[] | undefined,
        types: typeParsers,
      });
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
    },
  };
}

/** BEGIN … COMMIT on one client; ROLLBACK (best effort) and rethrow when fn throws. */
async function inTransaction<T>(client: pg.PoolClient, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn(wrap(client));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * A client taken from the pool for a transaction or a lock. The pool listens for its errors only while it is idle:
 * a connection that dies between two statements would emit 'error' with no listener and crash the process. The next
 * statement on it fails anyway, which is how the caller hears of it.
 */
async function checkOut(pool: pg.Pool): Promise<{ client: pg.PoolClient; done(): void }> {
  const client = await pool.connect();
  let broken = false;
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  return {
    client,
    done() {
      client.off('error', onError);
      // A client whose connection died is removed from the pool, not handed out again.
      client.release(broken ? new Error('connection lost') : undefined);
    },
  };
}

export function createPostgresDb(options: PostgresOptions): Db {
  const statementTimeout = options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 20,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 2_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: statementTimeout,
    // A transaction whose client goes quiet (a stalled network) is rolled back by the server: nothing can commit
    // long after it was decided (spend/bounds.ts LATE_COMMIT_MS relies on it).
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    query_timeout: statementTimeout + 1_000,
    application_name: 'spendguard',
    keepAlive: true,
  });
  // An idle client losing its server emits 'error' on the pool; without a listener that kills the process.
  pool.on('error', () => {});
  const base = wrap(pool);

  const db: Db = {
    kind: 'postgres',
    query: base.query,
    async transaction(fn) {
      const { client, done } = await checkOut(pool);
      try {
        return await inTransaction(client, fn);
      } finally {
        done();
      }
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async withAdvisoryLock(lockId, fn) {
      const { client, done } = await checkOut(pool);
      try {
        await client.query('SELECT pg_advisory_lock($1)', [lockId]);
        const single: Db = {
          ...db,
          query: wrap(client).query,
          exec: async (sql) => {
            await client.query(sql);
          },
          transaction: (inner) => inTransaction(client, inner),
        };
        return await fn(single);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [lockId]).catch(() => {});
        done();
      }
    },
    async close() {
      await pool.end();
    },
  };
  return db;
}
