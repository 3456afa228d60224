// What a decision means beyond its answer, the same for an event, a reservation and a reservation's commit: which
// agent it is decided for, and what the dashboards hear about it.
import type { AgentDirectory, AgentInfo } from '../agents/directory.js';
import { assertAgentAllowed } from '../auth/agent-access.js';
import type { Principal } from '../auth/types.js';
import { ApiError, forbidden } from '../http/errors.js';
import type { SpendSnapshot } from './store.js';

/**
 * The agent a request names; a key bound to one agent never creates another one (an unknown name is not its agent).
 * An archived agent's events and reservations are refused here, the one place both pass (docs/api.md §7).
 */
export async function requestAgent(
  directory: AgentDirectory,
  principal: Principal,
  name: string,
): Promise<AgentInfo> {
  const bound = principal.type === 'api_key' && principal.agentId !== null;
  const agent = bound
    ? await directory.find(principal.customerId, name)
    : await directory.resolve(principal.customerId, name, {
        apiKeyId: apiKeyIdOf(principal),
      });
  if (!agent) throw forbidden('This API key is bound to another agent.');
  assertAgentAllowed(principal, agent.id);
  if (agent.archived) {
    throw new ApiError('not_found', `The agent ${name} is archived; restore it to record its spend again.`);
  }
  return agent;
}

/** The API key a decision checks for revocation (SpendRequest.apiKeyId): the request's own, if it came with one. */
export const apiKeyIdOf = (principal: Principal): string | null =>
  principal.type === 'api_key' ? principal.keyId : null;

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
