// Helpers for the reservation acceptance tests: both backends (PostgreSQL + Redis, embedded PGlite + in-process
// store), a tenant with a customer limit, reservation calls, and direct reads of PostgreSQL's truth.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type SpendguardApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { migrate } from '../../src/db/migrate.js';
import { createPgliteDb } from '../../src/db/pglite.js';
import { type Json, postEvent } from '../engine/helpers.js';
import {
  type ApiResponse,
  api,
  NO_DEFAULT_AGENT_LIMIT,
  signupAndAdminKey,
  startTestServer,
  type Tenant,
} from '../harness.js';

export type { Json };
export { postEvent };

export const BACKENDS = [
  { name: 'PostgreSQL + Redis', options: {} },
  { name: 'embedded (PGlite + in-process store)', options: { embedded: true } },
] as const;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const newKey = () => `rk-${randomBytes(8).toString('hex')}`;

export function reserve(
  url: string,
  key: string,
  body: Record<string, unknown>,
  idempotencyKey: string = newKey(),
): Promise<ApiResponse<Json>> {
  return api(url, '/v1/reservations', { key, body, headers: { 'idempotency-key': idempotencyKey } });
}

export function commit(url: string, key: string, id: string, body: Record<string, unknown>) {
  return api<Json>(url, `/v1/reservations/${id}/commit`, { key, body });
}

export function release(url: string, key: string, id: string) {
  return api<Json>(url, `/v1/reservations/${id}/release`, { key, method: 'POST' });
}

/** A fresh customer whose month limit is `monthUsd` (the "$1.00 left" of the acceptance criteria). */
export async function tenantWithCustomerLimit(url: string, monthUsd: number | null): Promise<Tenant> {
  const tenant = await signupAndAdminKey(url);
  const patched = await api(url, '/v1/customer', {
    method: 'PATCH',
    key: tenant.adminKey,
    body: { limits: { month_usd: monthUsd } },
  });
  if (patched.status !== 200)
    throw new Error(`customer limit: ${patched.status} ${JSON.stringify(patched.body)}`);
  return tenant;
}

/** One query against the server's own database (PostgreSQL or PGlite): the test's view of the truth. */
export async function dbRows<R = Record<string, unknown>>(
  app: SpendguardApp,
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  return (await app.ctx.db.query<R>(text, params)).rows;
}

/** An embedded server on a PGlite data directory on disk, so a second instance can "restart" on the same data. */
export async function startEmbeddedOn(dataDir: string): Promise<{ url: string; close(): Promise<void> }> {
  const config = parseConfig({
    SPENDGUARD_DATA_DIR: dataDir,
    SPENDGUARD_SESSION_SECRET: 'a'.repeat(64),
    SPENDGUARD_LOG_LEVEL: 'silent',
    ...NO_DEFAULT_AGENT_LIMIT,
  });
  const db = await createPgliteDb({ dataDir });
  await migrate(db);
  const app = await buildApp({ config, db, redis: undefined });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await db.close();
    },
  };
}

export const tempDir = () => mkdtempSync(join(tmpdir(), 'sg-rsv-'));

export { startTestServer };
