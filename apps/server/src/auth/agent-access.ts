// An agent-bound ingest key may act on its own agent only (docs/api.md §3); everything else passes.
import { forbidden } from '../http/errors.js';
import type { Principal } from './types.js';

export function assertAgentAllowed(principal: Principal, agentId: string): void {
  if (principal.type === 'api_key' && principal.agentId !== null && principal.agentId !== agentId) {
    throw forbidden('This API key is bound to another agent.');
  }
}
