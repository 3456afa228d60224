// Applies numbered .sql migrations (apps/server/migrations/NNN_name.sql) in order, each in its own transaction,
// under an advisory lock so several instances starting at once apply each migration exactly once.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './types.js';

const MIGRATIONS_LOCK_ID = 0x5347_0001; // "SG" + 1: fixed so every instance contends for the same lock
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: readFileSync(join(dir, file), 'utf8'),
    }));
}

/** Returns the names of the migrations it applied. */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<string[]> {
  return db.withAdvisoryLock(MIGRATIONS_LOCK_ID, async (conn) => {
    await conn.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await conn.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      // One script, one transaction: the migration and its bookkeeping row commit together or not at all.
      // version and name come from the file name (digits and [a-z0-9_]), so inlining them is safe.
      try {
        await conn.exec(
          `BEGIN;\n${m.sql}\n;INSERT INTO schema_migrations (version, name) VALUES (${m.version}, '${m.name}');\nCOMMIT;`,
        );
      } catch (error) {
        await conn.exec('ROLLBACK').catch(() => {});
        throw error;
      }
      applied.push(`${String(m.version).padStart(3, '0')}_${m.name}`);
    }
    return applied;
  });
}
