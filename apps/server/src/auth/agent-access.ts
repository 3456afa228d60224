// An agent-bound ingest key may act on its own agent only (docs/api.md §3); everything else passes.
import { forbidden } from '../http/errors.js';
import type { Principal } from './types.js';

/** The only agent the principal may act on, or null for any. */
export function boundAgentOf(principal: Principal): string | null {
  return principal.type === 'api_key' ? principal.agentId : null;
}

export function assertAgentAllowed(principal: Principal, agentId: string): void {
  const bound = boundAgentOf(principal);
  if (bound !== null && bound !== agentId) {
    throw forbidden('This API key is bound to another agent.');
  }
}
