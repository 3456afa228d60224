// Redis key names of the spend store. Every key of one customer carries the hash tag {c:<customerId>}, so a
// whole decision (agent, customer, holds, entries, idempotency claim) lives in one Redis Cluster slot and one Lua
// script may touch all of it. Scripts never build key names themselves: they get them all in KEYS.
//
// Every customer key also carries the store's EPOCH (e<id>): a new epoch starts when Redis lost or may have lost data
// (the epoch key is gone after a flush; Redis restarted or failed over — its run_id changed). Keys of an older epoch
// are then simply never read again (they expire), and everything is rebuilt from PostgreSQL — only after requests
// decided before the loss can no longer commit (bounds.ts LATE_COMMIT_MS).
import { createHash } from 'node:crypto';

/** First 16 bytes of SHA-256, base64url (22 chars): small, fixed-size names/values for arbitrary client text. */
export function shortDigest(text: string): string {
  return createHash('sha256').update(text).digest().subarray(0, 16).toString('base64url');
}

/** HASH {id, since, run}: the current epoch, when it began, and the Redis run_id it belongs to. */
export const epochKey = (prefix: string) => `${prefix}:epoch`;

/**
 * ZSET customerId → time: customers with unconfirmed entries or provisional flips, for the reconciler. One key per
 * epoch outside the customers' slots (a Redis Cluster deployment shards it per slot; docs/scaling.md).
 */
export const openIndexKey = (prefix: string, epoch: string) => `${prefix}:e${epoch}:open`;

export interface CustomerKeys {
  /** HASH v (version), lim (month limit), m:<month> (counter), lt:m:<month> (when it was loaded). */
  customer: string;
  /**
   * HASH of entries: token → "agent|run|amount|at|month|day|velocity window|bucket|counted in run|key digest|hash
   * digest" (the claim's digests let the reconciler settle a request whose owner is gone).
   */
  entries: string;
  /** ZSET token → decided at (ms): entries by age, for the reconciler. */
  entriesByTime: string;
  /** ZSET holdId by expiresAt. */
  holdsByExpiry: string;
  /** HASH holdId → "agentId|runId|amount|created at". */
  holdsById: string;
  /** HASH of totals: hc, ha:<agent>, hr:<agent>|<run> (held), pa:<agent> (unconfirmed), marker `ld` (holds loaded). */
  totals: string;
  /** HASH second → micros counted that second (the reconciler's exact repair; docs/architecture.md). */
  contributions: string;
  /** STRING "f<digest of requestHash>|<token>" (in flight) or "c<digest>" (completed), under a digest of the key. */
  claim(idempotencyKey: string): string;
  /** The same claim key from the key's digest (entries remember the digest, not the key). */
  claimByDigest(digest: string): string;
  /** HASH of the agent's row (lv sv st rs at pd lm ld lr vw vm), provisional flip/suspend pv, counters m:/d: + lt:. */
  agent(agentId: string): string;
  /** HASH bucket index → micros, plus field `ws` (the window it is kept for) that marks the set as loaded. */
  velocity(agentId: string): string;
  run(agentId: string, runId: string): string;
  /** HASH second → micros counted that second for the agent. */
  agentContributions(agentId: string): string;
  rebuildLock(agentId: string): string;
  /** HASH ws (window kept for), n:<fingerprint digest> → occurrences, t:<token> → "<digest>|<at>" (loop detection). */
  repeats(agentId: string): string;
  /** ZSET token → decided at (ms): the agent's occurrences by age, for pruning. */
  repeatsByTime(agentId: string): string;
  /** SET of agents with a provisional flip or suspend, for the reconciler. */
  provisionalAgents: string;
}

export function customerKeys(prefix: string, epoch: string, customerId: string): CustomerKeys {
  const base = `${prefix}:{c:${customerId}}:e${epoch}`;
  const agent = (agentId: string) => `${base}:a:${agentId}`;
  return {
    customer: `${base}:c`,
    entries: `${base}:o`,
    entriesByTime: `${base}:oz`,
    holdsByExpiry: `${base}:hz`,
    holdsById: `${base}:hh`,
    totals: `${base}:ot`,
    contributions: `${base}:cq`,
    claim: (idempotencyKey) => `${base}:k:${shortDigest(idempotencyKey)}`,
    claimByDigest: (digest) => `${base}:k:${digest}`,
    agent,
    velocity: (agentId) => `${agent(agentId)}:v`,
    run: (agentId, runId) => `${agent(agentId)}:r:${runId}`,
    agentContributions: (agentId) => `${agent(agentId)}:q`,
    rebuildLock: (agentId) => `${agent(agentId)}:lock`,
    repeats: (agentId) => `${agent(agentId)}:p`,
    repeatsByTime: (agentId) => `${agent(agentId)}:pz`,
    provisionalAgents: `${base}:pv`,
  };
}
