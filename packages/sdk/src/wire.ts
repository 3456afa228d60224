// camelCase SDK inputs → the API's snake_case request bodies. Amounts are passed through
// untouched (the server does the exact half-up rounding and says what it recorded), so the
// SDK never does float arithmetic on money.

import type {
  AgentLimitsInput,
  Amount,
  Cost,
  Estimate,
  EventCost,
  HoldAmount,
  Usage,
  Usd,
  VelocityLimitInput,
} from './types.js';

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

/** An event's or commit's cost: `{ usage }` or `{ cost_usd | cost_micros }` (exactly one, checked for JS callers too). */
export function eventCostBody(cost: EventCost): Body {
  if (cost.usage === undefined) return costBody(cost);
  if (cost.costUsd !== undefined || cost.costMicros !== undefined) {
    throw new TypeError('give usage or costUsd/costMicros, not both');
  }
  return { usage: usageBody(cost.usage) };
}

/** `estimate` in the wire's snake_case (docs/api.md §6). */
export function estimateBody(estimate: Estimate): Body {
  return {
    provider: estimate.provider,
    model: estimate.model,
    input_tokens: estimate.inputTokens,
    max_output_tokens: estimate.maxOutputTokens,
  };
}

/** A reservation's hold: `{ estimate }` or `{ amount_usd | amount_micros }` (exactly one). */
export function holdBody(hold: HoldAmount): Body {
  if (hold.estimate === undefined) return amountBody(hold);
  if (hold.amountUsd !== undefined || hold.amountMicros !== undefined) {
    throw new TypeError('give estimate or amountUsd/amountMicros, not both');
  }
  return { estimate: estimateBody(hold.estimate) };
}

export function limitsBody(limits: AgentLimitsInput): Body {
  const body: Body = {
    ...oneAmount(limits.monthUsd, limits.monthMicros, 'month', false),
    ...oneAmount(limits.dayUsd, limits.dayMicros, 'day', false),
    ...oneAmount(limits.runUsd, limits.runMicros, 'run', false),
  };
  if (limits.velocity !== undefined) body.velocity = velocityBody(limits.velocity);
  if (limits.repeats !== undefined) {
    body.repeats =
      limits.repeats === null
        ? null
        : { max: limits.repeats.max, window_seconds: limits.repeats.windowSeconds };
  }
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
