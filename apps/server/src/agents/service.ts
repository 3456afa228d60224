// Agents and the kill switch (docs/api.md §7). Every change: one PostgreSQL transaction holding the change and its audit
// entry (which bumps the row's limits or status version) → write-through of the whole row to the spend store, which
// keeps the newer version of each part (so no older write can undo a newer one, whatever the interleaving) → bus
// message for dashboards. A suspend places a provisional suspension in the store FIRST, so the kill switch bites at
// once even if PostgreSQL is slow; the write-through then confirms it (docs/architecture.md "State model").
import type { Static } from 'typebox';
import { recordAudit } from '../audit.js';
import type { Principal } from '../auth/types.js';
import { isUnavailableError } from '../db/errors.js';
import type { Db, Queryable } from '../db/types.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { ApiError, conflict, notFound, storageUnavailable, unavailable } from '../http/errors.js';
import { newId } from '../ids.js';
import type { Bus } from '../live/bus.js';
import type { Metrics } from '../observability/metrics.js';
import type { AgentPageSchema } from '../schemas/agents.js';
import { NAME_PATTERN } from '../schemas/common.js';
import { budgetPeriodOver, periodKeys } from '../spend/decide.js';
import type { AgentLimits, SpendStore } from '../spend/store.js';
import { columnIsoOrNull } from '../time.js';
import { rearmThresholds } from '../webhooks/thresholds.js';
import type { AgentDirectory } from './directory.js';
import { applyLimits, type LimitsPatch, limitsToJson } from './limits.js';
import { customerChannel } from './live-channel.js';
import { liveSpend } from './live-spend.js';
import { type AgentJson, agentToJson, suspensionTerms } from './present.js';
import {
  type AgentRow,
  findAgentById,
  findAgentByName,
  insertAgent,
  lastEventTimes,
  listAgents,
  lockAgentByName,
  rowLimits,
  rowToState,
  setAgentArchived,
  updateAgentLimits,
  updateAgentStatus,
} from './repository.js';

export type AgentPage = Static<typeof AgentPageSchema>;

const ACTIVE = { status: 'active', reason: null, at: null, period: null, note: null } as const;

/**
 * docs/api.md §5 rule 4: a budget_exceeded suspension lifts at once when a person sets the limit that caused it
 * higher than the value that caused it, or removes it. A manual, velocity or loop suspension never lifts by a PATCH.
 */
export function liftedByLimits(before: AgentRow, limits: AgentLimits): boolean {
  if (before.status !== 'suspended' || before.suspended_reason !== 'budget_exceeded') return false;
  // Lapsed already (its period is over): nothing is in force to lift.
  if (budgetPeriodOver(before.suspended_reason, before.suspended_period, periodKeys(Date.now())))
    return false;
  const { period } = suspensionTerms(before.suspended_reason, before.suspended_period);
  if (period !== 'month' && period !== 'day') return false;
  const now = period === 'month' ? limits.monthMicros : limits.dayMicros;
  if (now === null) return true;
  // Rows flipped before 006_agent_lifecycle.sql did not keep the broken limit: the limit before this PATCH stands in.
  const broken =
    before.suspended_limit_micros ??
    (period === 'month' ? before.month_limit_micros : before.day_limit_micros);
  return broken === null || now > broken;
}

export interface AgentService {
  list(
    customerId: string,
    options: { limit: number; cursor: string | undefined; archived: boolean },
  ): Promise<AgentPage>;
  get(customerId: string, name: string): Promise<AgentJson>;
  /** The row for other modules (timeseries, events filter); 404 for another customer's agent. */
  row(customerId: string, name: string): Promise<AgentRow>;
  create(actor: Principal, input: { name: string; limits: LimitsPatch }): Promise<AgentJson>;
  updateLimits(actor: Principal, name: string, limits: LimitsPatch): Promise<AgentJson>;
  suspend(actor: Principal, name: string, note: string | null): Promise<AgentJson>;
  resume(actor: Principal, name: string): Promise<AgentJson>;
  /** DELETE: out of the list, its events refused (404) and never created again on the fly; history kept. */
  archive(actor: Principal, name: string): Promise<void>;
  restore(actor: Principal, name: string): Promise<AgentJson>;
  /** Publishes the agent object on its customer's live channel (status or limits changed). */
  announce(customerId: string, agentId: string): Promise<void>;
}

export function createAgentService(deps: {
  db: Db;
  store: SpendStore;
  bus: Bus;
  metrics: Metrics;
  directory: AgentDirectory;
}): AgentService {
  const { db, store, bus, directory } = deps;

  const present = async (row: AgentRow): Promise<AgentJson> => {
    const now = Date.now();
    const spend = await liveSpend(store, db, row.customer_id, [row], now);
    const last = await lastEventTimes(db, [row.id]);
    return agentToJson(row, spend.get(row.id), now, last.get(row.id) ?? null);
  };

  const mustFind = async (customerId: string, name: string): Promise<AgentRow> => {
    if (!NAME_PATTERN.test(name)) throw notFound('agent');
    const row = await findAgentByName(db, customerId, name);
    if (!row) throw notFound('agent');
    return row;
  };

  /**
   * The committed row into the spend store. If it fails the change stands in PostgreSQL (the answer is 503: not yet in
   * force everywhere; a retry or the reconciler brings the store in line within one period).
   */
  const writeThrough = async (row: AgentRow, confirm?: string) => {
    try {
      await store.putAgentState(rowToState(row), confirm);
    } catch {
      deps.metrics.storeErrors.inc({ store: store.kind, operation: 'put_agent_state' });
      throw new ApiError(
        'unavailable',
        'The change is saved but could not reach the spend store yet; retry it to make sure it is in force.',
        {},
        1,
      );
    }
  };

  const afterChange = async (row: AgentRow, json: AgentJson) => {
    await directory.invalidate({ customerId: row.customer_id, agentId: row.id });
    await bus.publish(customerChannel(row.customer_id), { type: 'agent', data: json }).catch(() => {});
  };

  /** A change of one agent under its row lock with its audit entry, one transaction (PostgreSQL down: the error
   * handler answers 503, as for every route). */
  const changeLocked = (
    customerId: string,
    name: string,
    change: (tx: Queryable, before: AgentRow) => Promise<AgentRow>,
  ): Promise<AgentRow> =>
    db.transaction(async (tx) => {
      const before = await lockAgentByName(tx, customerId, name);
      if (!before) throw notFound('agent');
      return change(tx, before);
    });

  /** Archive or restore under the row lock with its audit entry; a no-op (nothing audited) when already so. */
  const setArchived = async (actor: Principal, name: string, archive: boolean): Promise<AgentJson> => {
    if (!NAME_PATTERN.test(name)) throw notFound('agent');
    const row = await changeLocked(actor.customerId, name, async (tx, before) => {
      if ((before.archived_at !== null) === archive) return before;
      const after = await setAgentArchived(tx, before.id, archive ? Date.now() : null);
      await recordAudit(tx, {
        customerId: actor.customerId,
        actor,
        action: archive ? 'agent.archive' : 'agent.restore',
        targetType: 'agent',
        targetId: before.id,
        before: { archived_at: columnIsoOrNull(before.archived_at) },
        after: { archived_at: columnIsoOrNull(after.archived_at) },
      });
      return after;
    });
    const json = await present(row);
    await afterChange(row, json);
    return json;
  };

  const statusSnapshot = (row: AgentRow) => ({
    status: row.status,
    suspended_reason: row.suspended_reason,
    suspended_period: row.suspended_period,
  });

  const service: AgentService = {
    async list(customerId, { limit, cursor, archived }) {
      const after = decodeCursor(cursor, (v): v is string => typeof v === 'string');
      const rows = await listAgents(db, customerId, { afterName: after, limit: limit + 1, archived });
      const page = rows.slice(0, limit);
      const now = Date.now();
      const spend = await liveSpend(store, db, customerId, page, now);
      const lastEvents = await lastEventTimes(
        db,
        page.map((r) => r.id),
      );
      const last = page.at(-1);
      return {
        data: page.map((r) => agentToJson(r, spend.get(r.id), now, lastEvents.get(r.id) ?? null)),
        next_cursor: rows.length > limit && last ? encodeCursor(last.name) : null,
      };
    },

    async get(customerId, name) {
      return present(await mustFind(customerId, name));
    },

    row: mustFind,

    async create(actor, input) {
      const settings = await directory.customer(actor.customerId);
      const limits: AgentLimits = applyLimits(settings.defaultAgentLimits, input.limits);
      const row = await db.transaction(async (tx) => {
        const created = await insertAgent(tx, {
          id: newId('agt'),
          customerId: actor.customerId,
          name: input.name,
          limits,
          autoCreated: false,
        });
        // An archived agent keeps its name (docs/api.md §7): restore it instead of creating a second one.
        if (!created) throw conflict('name', 'An agent with this name already exists.');
        await recordAudit(tx, {
          customerId: actor.customerId,
          actor,
          action: 'agent.create',
          targetType: 'agent',
          targetId: created.id,
          after: { name: created.name, limits: limitsToJson(limits) },
        });
        return created;
      });
      await writeThrough(row);
      const json = await present(row);
      await afterChange(row, json);
      return json;
    },

    async updateLimits(actor, name, patch) {
      if (!NAME_PATTERN.test(name)) throw notFound('agent');
      const row = await changeLocked(actor.customerId, name, async (tx, before) => {
        const limits = applyLimits(rowLimits(before), patch);
        const after = await updateAgentLimits(tx, before.id, limits);
        await recordAudit(tx, {
          customerId: actor.customerId,
          actor,
          action: 'agent.limits.update',
          targetType: 'agent',
          targetId: before.id,
          before: { limits: limitsToJson(rowLimits(before)) },
          after: { limits: limitsToJson(limits) },
        });
        await rearmThresholds(tx, actor.customerId, before.id, Date.now());
        if (!liftedByLimits(before, limits)) return after;
        // In the same transaction, under the same row lock: the lift is this person's change, audited as theirs.
        const lifted = await updateAgentStatus(tx, before.id, ACTIVE);
        await recordAudit(tx, {
          customerId: actor.customerId,
          actor,
          action: 'agent.resume',
          targetType: 'agent',
          targetId: before.id,
          before: statusSnapshot(before),
          after: { ...statusSnapshot(lifted), lifted_by: 'limit raised' },
        });
        return lifted;
      });
      await writeThrough(row);
      const json = await present(row);
      await afterChange(row, json);
      return json;
    },

    async suspend(actor, name, note) {
      const current = await mustFind(actor.customerId, name);
      const now = Date.now();
      const token = newId('sus');
      // Provisional first: from this moment no instance accepts another event of this agent. If the store cannot
      // take it, nothing is changed anywhere (503, retry).
      try {
        await store.provisionalSuspend(current.customer_id, current.id, token, now);
      } catch {
        deps.metrics.storeErrors.inc({ store: store.kind, operation: 'provisional_suspend' });
        throw unavailable();
      }
      let row: AgentRow;
      try {
        row = await changeLocked(actor.customerId, name, async (tx, before) => {
          const after = await updateAgentStatus(tx, before.id, {
            status: 'suspended',
            reason: 'manual',
            at: now,
            period: null,
            note,
          });
          await recordAudit(tx, {
            customerId: actor.customerId,
            actor,
            action: 'agent.suspend',
            targetType: 'agent',
            targetId: before.id,
            before: statusSnapshot(before),
            after: { ...statusSnapshot(after), note },
          });
          return after;
        });
      } catch (error) {
        // Certainly not committed (PostgreSQL answered with an error): withdraw the provisional suspension. If the
        // outcome is unknown (connection lost), it stays — when in doubt the agent is suspended — until the
        // reconciler finds it stale and takes PostgreSQL's row.
        if (!isUnavailableError(error))
          await store.clearProvisional(current.customer_id, current.id, token).catch(() => {});
        throw error instanceof ApiError || !isUnavailableError(error) ? error : storageUnavailable();
      }
      await writeThrough(row, token);
      const json = await present(row);
      await afterChange(row, json);
      return json;
    },

    async resume(actor, name) {
      if (!NAME_PATTERN.test(name)) throw notFound('agent');
      // PostgreSQL first, then the store: a failure in between leaves the agent suspended (fail closed) until a retry
      // or the reconciler. Resuming a budget_exceeded agent whose limit is still exceeded is allowed: the next event
      // decides again.
      const row = await changeLocked(actor.customerId, name, async (tx, before) => {
        const after = await updateAgentStatus(tx, before.id, ACTIVE);
        await recordAudit(tx, {
          customerId: actor.customerId,
          actor,
          action: 'agent.resume',
          targetType: 'agent',
          targetId: before.id,
          before: statusSnapshot(before),
          after: statusSnapshot(after),
        });
        return after;
      });
      await writeThrough(row);
      const json = await present(row);
      await afterChange(row, json);
      return json;
    },

    async archive(actor, name) {
      // Every instance forgets the agent, so its next event reads the archived row and is refused.
      await setArchived(actor, name, true);
    },

    restore: (actor, name) => setArchived(actor, name, false),

    async announce(customerId, agentId) {
      const row = await findAgentById(db, customerId, agentId);
      if (!row) return;
      const json = await present(row);
      await bus.publish(customerChannel(customerId), { type: 'agent', data: json });
    },
  };
  return service;
}
