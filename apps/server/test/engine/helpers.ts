// Helpers for the budget engine tests: event posting, agent creation, and direct reads of PostgreSQL's truth to
// compare against.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type ApiResponse, api } from '../harness.js';

// biome-ignore lint/suspicious/noExplicitAny: test convenience — response bodies are inspected ad hoc in assertions
export type Json = any;

export async function createAgent(
  url: string,
  key: string,
  name: string,
  limits: Record<string, unknown> = {},
): Promise<ApiResponse<Json>> {
  const res = await api(url, '/v1/agents', { key, body: { name, limits } });
  if (res.status !== 201) throw new Error(`agent creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res;
}

export function postEvent(
  url: string,
  key: string,
  body: Record<string, unknown>,
  idempotencyKey: string = `k-${randomBytes(8).toString('hex')}`,
): Promise<ApiResponse<Json>> {
  return api(url, '/v1/events', { key, body, headers: { 'idempotency-key': idempotencyKey } });
}

/** One query against a database by URL (the test's view of PostgreSQL's truth). */
export async function sql<R = Record<string, unknown>>(
  databaseUrl: string,
  text: string,
  params: unknown[] = [],
) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as R[];
  } finally {
    await client.end();
  }
}

/** Accepted spend and event count of one agent (by name) in PostgreSQL, from events and from spend_daily. */
export async function dbSpend(databaseUrl: string, customerId: string, agent: string) {
  const [events] = await sql<{ spent: string; n: string }>(
    databaseUrl,
    `SELECT coalesce(sum(e.cost_micros), 0) AS spent, count(*) AS n FROM events e JOIN agents a ON a.id = e.agent_id
     WHERE e.customer_id = $1 AND a.name = $2 AND e.status = 'accepted'`,
    [customerId, agent],
  );
  const [daily] = await sql<{ spent: string }>(
    databaseUrl,
    `SELECT coalesce(sum(d.spent_micros), 0) AS spent FROM spend_daily d JOIN agents a ON a.id = d.agent_id
     WHERE d.customer_id = $1 AND a.name = $2`,
    [customerId, agent],
  );
  return { events: Number(events?.spent), count: Number(events?.n), daily: Number(daily?.spent) };
}

export function countStatuses(responses: ApiResponse<Json>[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const r of responses) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}
