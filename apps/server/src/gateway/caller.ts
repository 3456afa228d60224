// Who a gateway call is for (docs/api.md §12): the Spendguard ingest key — `Authorization: Bearer` on OpenAI routes,
// `x-api-key` on Anthropic routes (Bearer too) — and its agent: the key's bound agent, or X-Spendguard-Agent for an
// unbound key; optional X-Spendguard-Run and X-Spendguard-Fingerprint. Only API keys: a dashboard cookie never
// spends through the gateway. The provider's key is never taken from the request.
import type { FastifyRequest } from 'fastify';
import { findAgentById } from '../agents/repository.js';
import type { ApiKeyPrincipal, ApiKeyResolver } from '../auth/api-keys.js';
import { bearerToken } from '../auth/bearer.js';
import type { Db } from '../db/types.js';
import { ApiError, invalidRequest, unauthenticated } from '../http/errors.js';
import { NAME_PATTERN } from '../schemas/common.js';

const FINGERPRINT = /^[\x20-\x7E]{1,128}$/;
const MAX_NAMES = 10_000;

export interface Caller {
  principal: ApiKeyPrincipal;
  agent: string;
  run: string | null;
  /** X-Spendguard-Fingerprint when sent; else the gateway fingerprints model + prompt. */
  fingerprint: string | null;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Bearer when sent (a malformed one is a wrong key, never a fallback), else x-api-key (Anthropic's header). */
function presentedKey(request: FastifyRequest): string | undefined {
  return bearerToken(request) ?? header(request, 'x-api-key');
}

export function createCallerResolver(deps: { db: Db; apiKeys: ApiKeyResolver }) {
  // Agents are never renamed: a bound key's agent name is read once.
  const names = new Map<string, string>();

  const boundName = async (customerId: string, agentId: string): Promise<string> => {
    const cached = names.get(agentId);
    if (cached !== undefined) return cached;
    const row = await findAgentById(deps.db, customerId, agentId);
    if (!row) throw unauthenticated();
    if (names.size >= MAX_NAMES) names.clear();
    names.set(agentId, row.name);
    return row.name;
  };

  /**
   * The API key's principal (401 without a valid one): all GET /models needs. A metered call's comes from the
   * instance's memory: its hold's decision checks the key's revocation before anything else (auth/api-keys.ts).
   */
  const keyHolder = async (request: FastifyRequest, metered = false): Promise<ApiKeyPrincipal> => {
    const key = presentedKey(request);
    const resolve = metered ? deps.apiKeys.resolveForDecision : deps.apiKeys.resolve;
    const principal = key ? await resolve(key) : null;
    if (!principal) throw unauthenticated();
    return principal;
  };

  const callerOf = async (request: FastifyRequest): Promise<Caller> => {
    const principal = await keyHolder(request, true);
    const named = header(request, 'x-spendguard-agent');
    const run = header(request, 'x-spendguard-run') ?? null;
    const fingerprint = header(request, 'x-spendguard-fingerprint') ?? null;
    const problems = [];
    if (named !== undefined && !NAME_PATTERN.test(named))
      problems.push({
        field: 'X-Spendguard-Agent',
        problem: 'must be an agent name (1-128 of A-Z a-z 0-9 . _ : @ -)',
      });
    if (run !== null && !NAME_PATTERN.test(run))
      problems.push({
        field: 'X-Spendguard-Run',
        problem: 'must be a run id (1-128 of A-Z a-z 0-9 . _ : @ -)',
      });
    if (fingerprint !== null && !FINGERPRINT.test(fingerprint))
      problems.push({
        field: 'X-Spendguard-Fingerprint',
        problem: 'must be 1-128 printable ASCII characters',
      });
    if (problems.length > 0) throw invalidRequest(problems);
    let agent = named;
    if (agent === undefined) {
      if (principal.agentId === null) {
        throw new ApiError(
          'invalid_request',
          'Name the agent: send X-Spendguard-Agent, or use an ingest key bound to one agent.',
          {
            details: [
              { field: 'X-Spendguard-Agent', problem: 'is required for a key not bound to an agent' },
            ],
          },
        );
      }
      agent = await boundName(principal.customerId, principal.agentId);
    }
    return { principal, agent, run, fingerprint };
  };
  return { keyHolder, callerOf };
}
