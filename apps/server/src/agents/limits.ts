// Agent limits as the API speaks them (docs/api.md §7): `*_usd` or `*_micros` per period, `null` = no limit, a left-out
// field = "keep what it was" (PATCH) or "the customer's default" (create). Shared by agents and customer defaults.
import type { Static } from 'typebox';
import { type FieldProblem, MAX_LIMIT_MICROS, parseAmount } from '../budget/money.js';
import { invalidRequest } from '../http/errors.js';
import type { LimitsSchema } from '../schemas/agents.js';
import type { AgentLimits } from '../spend/store.js';

export const NO_LIMITS: AgentLimits = {
  monthMicros: null,
  dayMicros: null,
  runMicros: null,
  velocity: null,
  repeats: null,
};

export type LimitsPatch = Partial<AgentLimits>;

/** A limit given as usd or micros, or null. undefined when left out. */
function parseLimit(
  body: Record<string, unknown>,
  name: string,
  path: string,
  problems: FieldProblem[],
): number | null | undefined {
  const usd = `${name}_usd`;
  const micros = `${name}_micros`;
  if (body[usd] === null || body[micros] === null) {
    if (body[usd] !== undefined && body[micros] !== undefined) {
      problems.push({ field: `${path}${usd}`, problem: `give either ${usd} or ${micros}, not both` });
      return undefined;
    }
    return null;
  }
  const parsed = parseAmount(body, usd, micros, { maxMicros: MAX_LIMIT_MICROS, required: false });
  if (!parsed.ok) {
    for (const p of parsed.problems) problems.push({ field: `${path}${p.field}`, problem: p.problem });
    return undefined;
  }
  return parsed.micros;
}

/** Parses a limits body (already schema-checked for shape) into a patch; throws 400 with details. */
export function parseLimitsInput(input: unknown, path = 'limits'): LimitsPatch {
  if (input === undefined) return {};
  const body = (input ?? {}) as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const patch: LimitsPatch = {};
  const prefix = `${path}.`;
  const month = parseLimit(body, 'month', prefix, problems);
  if (month !== undefined) patch.monthMicros = month;
  const day = parseLimit(body, 'day', prefix, problems);
  if (day !== undefined) patch.dayMicros = day;
  const run = parseLimit(body, 'run', prefix, problems);
  if (run !== undefined) patch.runMicros = run;
  if (body.velocity === null) patch.velocity = null;
  else if (body.velocity !== undefined) {
    const v = body.velocity as Record<string, unknown>;
    const max = parseAmount(v, 'max_usd', 'max_micros', { maxMicros: MAX_LIMIT_MICROS, required: true });
    if (!max.ok) {
      for (const p of max.problems)
        problems.push({ field: `${prefix}velocity.${p.field}`, problem: p.problem });
    } else {
      patch.velocity = { windowSeconds: v.window_seconds as number, maxMicros: max.micros as number };
    }
  }
  // Counts, not money: the schema already holds both to their integer bounds (LimitsInputSchema).
  if (body.repeats === null) patch.repeats = null;
  else if (body.repeats !== undefined) {
    const r = body.repeats as { max: number; window_seconds: number };
    patch.repeats = { max: r.max, windowSeconds: r.window_seconds };
  }
  if (problems.length > 0) throw invalidRequest(problems);
  return patch;
}

export function applyLimits(base: AgentLimits, patch: LimitsPatch): AgentLimits {
  return {
    monthMicros: patch.monthMicros !== undefined ? patch.monthMicros : base.monthMicros,
    dayMicros: patch.dayMicros !== undefined ? patch.dayMicros : base.dayMicros,
    runMicros: patch.runMicros !== undefined ? patch.runMicros : base.runMicros,
    velocity: patch.velocity !== undefined ? patch.velocity : base.velocity,
    repeats: patch.repeats !== undefined ? patch.repeats : base.repeats,
  };
}

/** The limits object of responses (docs/api.md §7), as the Limits schema declares it. */
export type LimitsJson = Static<typeof LimitsSchema>;

export function limitsToJson(limits: AgentLimits): LimitsJson {
  return {
    month_micros: limits.monthMicros,
    day_micros: limits.dayMicros,
    run_micros: limits.runMicros,
    velocity: limits.velocity
      ? { window_seconds: limits.velocity.windowSeconds, max_micros: limits.velocity.maxMicros }
      : null,
    repeats: limits.repeats
      ? { max: limits.repeats.max, window_seconds: limits.repeats.windowSeconds }
      : null,
  };
}

/**
 * customers.default_agent_limits is stored in the API's JSON shape (see 001_initial.sql). Defaults saved before
 * loop detection (migration 010) have no `repeats`: no limit.
 */
export function limitsFromJson(json: unknown): AgentLimits {
  const j = (json ?? {}) as Partial<LimitsJson>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : null);
  const velocity =
    j.velocity && typeof j.velocity === 'object'
      ? { windowSeconds: j.velocity.window_seconds, maxMicros: j.velocity.max_micros }
      : null;
  const repeatsMax = num(j.repeats?.max);
  const repeatsWindow = num(j.repeats?.window_seconds);
  const repeats =
    repeatsMax !== null && repeatsWindow !== null ? { max: repeatsMax, windowSeconds: repeatsWindow } : null;
  return {
    monthMicros: num(j.month_micros),
    dayMicros: num(j.day_micros),
    runMicros: num(j.run_micros),
    velocity,
    repeats,
  };
}
