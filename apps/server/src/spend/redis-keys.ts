// Redis key names of the spend store. Every key of one customer carries the hash tag {c:<customerId>}, so a
// whole decision (agent, customer, holds, idempotency claim) lives in one Redis Cluster slot and one Lua
// script may touch all of it. Scripts never build key names themselves: they get them all in KEYS.
import { createHash } from 'node:crypto';

/** First 16 bytes of SHA-256, base64url (22 chars): small, fixed-size names/values for arbitrary client text. */
export function shortDigest(text: string): string {
  return createHash('sha256').update(text).digest().subarray(0, 16).toString('base64url');
}

export interface CustomerKeys {
  customerState: string;
  customerMonth(month: string): string;
  /** ZSET holdId by expiresAt. */
  holdsByExpiry: string;
  /** HASH holdId → "agentId|runId|amount". */
  holdsById: string;
  /** HASH of held totals: c, a:<agentId>, r:<agentId>|<runId>, and the marker field `loaded`. */
  holdsTotals: string;
  /** STRING "<f|c><digest of requestHash>" under a digest of the idempotency key. */
  claim(idempotencyKey: string): string;
  agentState(agentId: string): string;
  agentMonth(agentId: string, month: string): string;
  agentDay(agentId: string, day: string): string;
  /** HASH bucket index → micros, plus field `ws` (the window it is kept for) that marks the set as loaded. */
  velocity(agentId: string): string;
  run(agentId: string, runId: string): string;
  rebuildLock(agentId: string): string;
}

export function customerKeys(prefix: string, customerId: string): CustomerKeys {
  const base = `${prefix}:{c:${customerId}}`;
  const agent = (agentId: string) => `${base}:a:${agentId}`;
  return {
    customerState: `${base}:cs`,
    customerMonth: (month) => `${base}:cm:${month}`,
    holdsByExpiry: `${base}:hz`,
    holdsById: `${base}:hh`,
    holdsTotals: `${base}:ht`,
    claim: (idempotencyKey) => `${base}:k:${shortDigest(idempotencyKey)}`,
    agentState: (agentId) => `${agent(agentId)}:s`,
    agentMonth: (agentId, month) => `${agent(agentId)}:m:${month}`,
    agentDay: (agentId, day) => `${agent(agentId)}:d:${day}`,
    velocity: (agentId) => `${agent(agentId)}:v`,
    run: (agentId, runId) => `${agent(agentId)}:r:${runId}`,
    rebuildLock: (agentId) => `${agent(agentId)}:lock`,
  };
}
