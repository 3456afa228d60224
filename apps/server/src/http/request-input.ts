// Request input the money routes (POST /v1/events, /v1/reservations and a reservation's commit) read the same way:
// the Idempotency-Key, the cost (an amount, or usage priced at the customer's prices or the catalogue's), the metadata
// bounds, the agent filter of a list an agent-bound key may read, and the answer.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { assertAgentAllowed } from '../auth/agent-access.js';
import type { Principal } from '../auth/types.js';
import { type FieldProblem, MAX_EVENT_MICROS, parseAmount } from '../budget/money.js';
import type { AppContext } from '../context.js';
import type { Queryable } from '../db/types.js';
import {
  costOfEstimateFor,
  costOfUsageFor,
  type EstimateInput,
  type UsageCost,
  type UsageInput,
} from '../pricing/usage-cost.js';
import type { Priced } from '../spend/event-service.js';
import { invalidRequest } from './errors.js';

const IDEMPOTENCY_KEY = /^[\x20-\x7E]{1,255}$/;
/** The body limit of a money request (docs/api.md §4: events 16 KiB; reservations and commits are held to the same). */
export const MONEY_BODY_LIMIT = 16 * 1024;
const MAX_METADATA_BYTES = 8 * 1024;
const MAX_METADATA_KEYS = 64;

/** Required: the Idempotency-Key header or the body field idempotency_key (equal when both are given). */
export function idempotencyKeyOf(
  request: FastifyRequest,
  bodyKey: string | undefined,
  problems: FieldProblem[],
): string {
  const header = request.headers['idempotency-key'];
  const fromHeader = Array.isArray(header) ? header.join(', ') : header;
  if (fromHeader !== undefined && !IDEMPOTENCY_KEY.test(fromHeader)) {
    problems.push({ field: 'Idempotency-Key', problem: 'must be 1-255 printable ASCII characters' });
    return '';
  }
  if (fromHeader !== undefined && bodyKey !== undefined && fromHeader !== bodyKey) {
    problems.push({ field: 'idempotency_key', problem: 'differs from the Idempotency-Key header' });
    return '';
  }
  const key = fromHeader ?? bodyKey;
  if (key === undefined) {
    problems.push({
      field: 'Idempotency-Key',
      problem: 'is required (header or body field idempotency_key)',
    });
    return '';
  }
  return key;
}

/**
 * The required amount of a money request (an event's or commit's cost, a reservation's estimate), given in USD or in
 * micro-dollars; null with its problems added when it is missing or invalid.
 */
export function requiredAmountOf(
  body: object,
  usdField: string,
  microsField: string,
  problems: FieldProblem[],
): number | null {
  const amount = parseAmount(body as Record<string, unknown>, usdField, microsField, {
    maxMicros: MAX_EVENT_MICROS,
    required: true,
  });
  if (!amount.ok) {
    problems.push(...amount.problems);
    return null;
  }
  return amount.micros as number;
}

/**
 * A money amount given as `<usd>` / `<micros>` or as a priced form (an event's or commit's `usage`, a reservation's
 * `estimate`) — exactly one of the three. Problems go to `problems` (400); an unknown model throws 422 unknown_model.
 */
async function amountOrPriced<T>(
  body: Record<string, unknown>,
  fields: { usd: string; micros: string; priced: string },
  problems: FieldProblem[],
  price: (form: T) => Promise<UsageCost>,
): Promise<{ micros: number | null; priced: Priced }> {
  const form = body[fields.priced] as T | undefined;
  if (form === undefined) {
    return { micros: requiredAmountOf(body, fields.usd, fields.micros, problems), priced: null };
  }
  if (body[fields.usd] !== undefined || body[fields.micros] !== undefined) {
    problems.push({
      field: fields.priced,
      problem: `give exactly one of ${fields.usd}, ${fields.micros} or ${fields.priced}`,
    });
    return { micros: null, priced: null };
  }
  if (problems.length > 0) return { micros: null, priced: null };
  const { costMicros, pricing } = await price(form);
  if (costMicros > MAX_EVENT_MICROS) {
    problems.push({ field: fields.priced, problem: 'prices above the 1,000,000 USD one request may cost' });
    return { micros: null, priced: null };
  }
  return { micros: costMicros, priced: { request: form, pricing } };
}

/** Whose prices a usage is priced at: the customer's own (docs/api.md §14), else the catalogue's. */
export interface PricingFor {
  db: Queryable;
  customerId: string;
}

/**
 * The cost of an event or a commit: `cost_usd` / `cost_micros` or, for an LLM call, `usage` priced at the customer's
 * prices or the catalogue's (docs/api.md §5.1, §14; one PostgreSQL read, only for `usage`). `at`: which prices are in
 * force.
 */
export async function costOf(
  body: { usage?: UsageInput | undefined; cost_usd?: unknown; cost_micros?: unknown },
  problems: FieldProblem[],
  at: number,
  customer: PricingFor,
): Promise<{ costMicros: number | null; priced: Priced }> {
  const { micros, priced } = await amountOrPriced<UsageInput>(
    body,
    { usd: 'cost_usd', micros: 'cost_micros', priced: 'usage' },
    problems,
    (usage) => costOfUsageFor(customer.db, customer.customerId, usage, at),
  );
  return { costMicros: micros, priced };
}

/**
 * What a reservation holds: `amount_usd` / `amount_micros` or an `estimate` — the usage of the call at its largest
 * (`max_output_tokens` generated, every input token uncached), priced as an event's usage is (docs/api.md §6).
 */
export async function holdAmountOf(
  body: { estimate?: EstimateInput | undefined; amount_usd?: unknown; amount_micros?: unknown },
  problems: FieldProblem[],
  at: number,
  customer: PricingFor,
): Promise<{ amountMicros: number | null; priced: Priced }> {
  const { micros, priced } = await amountOrPriced<EstimateInput>(
    body,
    { usd: 'amount_usd', micros: 'amount_micros', priced: 'estimate' },
    problems,
    (estimate) => costOfEstimateFor(customer.db, customer.customerId, estimate, at),
  );
  return { amountMicros: micros, priced };
}

export function metadataProblems(
  metadata: Record<string, unknown> | undefined,
  problems: FieldProblem[],
): void {
  if (metadata === undefined) return;
  if (Object.keys(metadata).length > MAX_METADATA_KEYS) {
    problems.push({ field: 'metadata', problem: `must have at most ${MAX_METADATA_KEYS} keys` });
  }
  if (Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
    problems.push({ field: 'metadata', problem: `must be at most ${MAX_METADATA_BYTES} bytes serialized` });
  }
}

/** The agent id a list is filtered by: the named agent (if the key may see it), else a bound key's own agent. */
export async function agentFilter(
  ctx: AppContext,
  principal: Principal,
  name: string | undefined,
): Promise<string | null> {
  if (name === undefined) {
    if (principal.type === 'api_key' && principal.agentId !== null) return principal.agentId;
    return null;
  }
  const row = await ctx.spend.agents.row(principal.customerId, name);
  assertAgentAllowed(principal, row.id);
  return row.id;
}

/** An optional ISO 8601 time of a body or query as epoch ms; a 400 naming the field when it does not parse. */
export function parseTime(value: string | undefined, field: string): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidRequest([{ field, problem: 'must be an ISO 8601 date-time' }]);
  return ms;
}

/** What the request log line (app.ts onResponse) adds for a money request. */
export type LogFields = { logAgent?: string; logOutcome?: string };

export function logAgentOf(request: FastifyRequest, agent: string): void {
  (request as LogFields).logAgent = agent;
}

/** Sends a money service's answer: its status and body, `Idempotent-Replayed: true` for a replay. */
export function sendOutcome(
  request: FastifyRequest,
  reply: FastifyReply,
  result: { status: number; body: unknown; replayed: boolean; outcome?: string },
): FastifyReply {
  if (result.outcome !== undefined) (request as LogFields).logOutcome = result.outcome;
  if (result.replayed) reply.header('Idempotent-Replayed', 'true');
  return reply.code(result.status).send(result.body);
}
