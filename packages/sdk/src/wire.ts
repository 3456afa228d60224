// camelCase SDK inputs → the API's snake_case request bodies. Amounts are passed through
// untouched (the server does the exact half-up rounding and says what it recorded), so the
// SDK never does float arithmetic on money.

import type { AgentLimitsInput, Amount, Cost, Usage, Usd, VelocityLimitInput } from './types.js';

type Body = Record<string, unknown>;

/** Exactly one of `<prefix>Usd` / `<prefix>Micros` → `{ <prefix>_usd | <prefix>_micros }`. */
function oneAmount(
  usd: Usd | null | undefined,
  micros: number | null | undefined,
  name: string,
  required: boolean,
): Body {
  const hasUsd = usd !== undefined;
  const hasMicros = micros !== undefined;
  if (hasUsd && hasMicros) throw new TypeError(`give ${name}Usd or ${name}Micros, not both`);
  if (hasUsd) return { [`${snake(name)}_usd`]: usd };
  if (hasMicros) return { [`${snake(name)}_micros`]: micros };
  if (required) throw new TypeError(`${name}Usd or ${name}Micros is required`);
  return {};
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function costBody(cost: Cost): Body {
  return oneAmount(cost.costUsd, cost.costMicros, 'cost', true);
}

/** `usage` in the wire's snake_case (docs/api.md §5.1). */
export function usageBody(usage: Usage): Body {
  return compact({
    provider: usage.provider,
    model: usage.model,
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_read_tokens: usage.cacheReadTokens,
    cache_write_tokens: usage.cacheWriteTokens,
    raw: usage.raw,
  });
}

export function amountBody(amount: Amount): Body {
  return oneAmount(amount.amountUsd, amount.amountMicros, 'amount', true);
}

export function limitsBody(limits: AgentLimitsInput): Body {
  const body: Body = {
    ...oneAmount(limits.monthUsd, limits.monthMicros, 'month', false),
    ...oneAmount(limits.dayUsd, limits.dayMicros, 'day', false),
    ...oneAmount(limits.runUsd, limits.runMicros, 'run', false),
  };
  if (limits.velocity !== undefined) body.velocity = velocityBody(limits.velocity);
  return body;
}

function velocityBody(velocity: VelocityLimitInput | null): Body | null {
  if (velocity === null) return null;
  return {
    window_seconds: velocity.windowSeconds,
    ...oneAmount(velocity.maxUsd, velocity.maxMicros, 'max', true),
  };
}

/** Drops `undefined` fields: the API rejects unknown fields and we never send empty ones. */
export function compact(body: Body): Body {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

export function isoTime(value: Date | string | undefined): string | undefined {
  return value instanceof Date ? value.toISOString() : value;
}
