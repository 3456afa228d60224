// What a decision means beyond its answer, the same for an event, a reservation and a reservation's commit: which
// agent it is decided for, and the kill-switch flip (with its audit entry) PostgreSQL must mirror.
import type { AgentDirectory, AgentInfo } from '../agents/directory.js';
import type { AuditEntry } from '../audit.js';
import { assertAgentAllowed } from '../auth/agent-access.js';
import type { Principal } from '../auth/types.js';
import { forbidden } from '../http/errors.js';
import type { Decline, LiftedSuspension, SpendSnapshot } from './store.js';
import type { AgentStatusChange } from './writer.js';

/** The agent a request names; a key bound to one agent never creates another one (an unknown name is not its agent). */
export async function requestAgent(
  directory: AgentDirectory,
  principal: Principal,
  name: string,
): Promise<AgentInfo> {
  const bound = principal.type === 'api_key' && principal.agentId !== null;
  const agent = bound
    ? await directory.find(principal.customerId, name)
    : await directory.resolve(principal.customerId, name);
  if (!agent) throw forbidden('This API key is bound to another agent.');
  assertAgentAllowed(principal, agent.id);
  return agent;
}

export interface DecisionEffects {
  agentChange?: AgentStatusChange;
  audit?: AuditEntry;
}

/** The kill-switch flip a decline caused, as PostgreSQL must mirror it; `cause` names the event or reservation. */
export function suspensionEffects(
  customerId: string,
  agentId: string,
  decline: Decline,
  now: number,
  cause: Record<string, unknown>,
): DecisionEffects {
  if (decline.code !== 'budget_exceeded' || !decline.suspended) return {};
  return {
    agentChange: {
      agentId,
      status: 'suspended',
      suspendedReason: decline.suspended.reason,
      suspendedAt: now,
      suspendedPeriod: decline.suspended.period,
    },
    audit: {
      customerId,
      actor: { type: 'system' },
      action: 'agent.suspend',
      targetType: 'agent',
      targetId: agentId,
      before: { status: 'active' },
      after: {
        status: 'suspended',
        suspended_reason: decline.suspended.reason,
        suspended_period: decline.suspended.period,
        cause: { ...cause, period: decline.period, scope: decline.scope, limit_micros: decline.limitMicros },
      },
    },
  };
}

/**
 * The effects of a decision: a decline's suspension, or — when nothing was suspended — the lifting of a
 * budget_exceeded suspension whose period ended (the decision lifted it in the store: mirror it in PostgreSQL).
 */
export function decisionEffects(
  customerId: string,
  agentId: string,
  decision: { decline?: Decline; lifted?: LiftedSuspension },
  now: number,
  cause: Record<string, unknown>,
): DecisionEffects {
  const effects = decision.decline
    ? suspensionEffects(customerId, agentId, decision.decline, now, cause)
    : {};
  if (!effects.agentChange && decision.lifted) {
    effects.agentChange = {
      agentId,
      status: 'active',
      suspendedReason: null,
      suspendedAt: null,
      suspendedPeriod: null,
    };
  }
  return effects;
}

/** The live `spend` message of an agent (dashboards redraw its bars from it). */
export function spendMessage(agentName: string, spend: SpendSnapshot) {
  return {
    type: 'spend',
    data: {
      agent: agentName,
      spend: {
        month_micros: spend.agent.monthMicros,
        day_micros: spend.agent.dayMicros,
        velocity_micros: spend.agent.velocityMicros,
      },
    },
  };
}
