// Embedded backend: PGlite (real PostgreSQL compiled to WASM) in the data dir — zero-setup `npm start`.
// It never fsyncs (survives a process crash, not a power loss) and runs on the event-loop thread,
// which is why production refuses it unless SPENDGUARD_ALLOW_EMBEDDED=1 (see config.ts).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { type Db, type PreparedSql, parseInt8, type Queryable, type QueryResult } from './types.js';

type PGliteQueryable = Pick<PGlite, 'query'>;

function wrap(target: PGliteQueryable): Queryable {
  return {
    async query<R>(sql: string | PreparedSql, params?: unknown[]): Promise<QueryResult<R>> {
      // PGlite runs in this process: no per-connection statement cache to use, the text is enough.
      const text = typeof sql === 'string' ? sql : sql.text;
      const result = await target.query<R>(text, params as unknown[] | undefined);
      // PGlite reports affectedRows 0 for a SELECT; pg's rowCount counts the rows returned. Match pg.
      const rowCount = result.affectedRows ? result.affectedRows : result.rows.length;
      return { rows: result.rows, rowCount };
    },
  };
}

export interface PgliteOptions {
  /** Directory for the database files; undefined = in memory (tests). */
  dataDir: string | undefined;
  /** Called once before a first start's initdb, which takes several seconds. */
  onFirstStart?: () => void;
}

export async function createPgliteDb(options: PgliteOptions): Promise<Db> {
  let location: string | undefined;
  if (options.dataDir) {
    location = join(options.dataDir, 'pgdata');
    if (!existsSync(location)) {
      options.onFirstStart?.();
      mkdirSync(location, { recursive: true });
    }
  }
  const pg = await PGlite.create(location, { parsers: { [types.INT8]: parseInt8 } });
  const base = wrap(pg);
  const db: Db = {
    kind: 'pglite',
    query: base.query,
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    async exec(sql) {
      await pg.exec(sql);
    },
    // One process owns an embedded database, so there is nobody to lock against.
    withAdvisoryLock: (_lockId, fn) => fn(db),
    close: () => pg.close(),
  };
  return db;
}
