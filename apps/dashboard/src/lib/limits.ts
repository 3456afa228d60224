import { microsToInput, parseUsdInput } from './money';
import type { Limits } from './types';

// Limits as typed in a form <-> limits as the API takes them. Empty field = no limit.

export interface LimitsDraft {
  month: string;
  day: string;
  run: string;
  velocityWindow: string;
  velocityMax: string;
  /** Loop detection: the most calls with one fingerprint per window, and the window in seconds. */
  repeatsMax: string;
  repeatsWindow: string;
}

export interface LimitsPayload {
  month_usd: string | null;
  day_usd: string | null;
  run_usd: string | null;
  velocity: { window_seconds: number; max_usd: string } | null;
  repeats: Limits['repeats'];
}

/** Bounds the API enforces (docs/api.md §7), checked here so the form says so before the request. */
const REPEATS_MAX = 100_000;
const REPEATS_WINDOW_MAX = 86_400;

/** A whole number from 1 to `max` typed in a field, or null. */
function wholeNumber(text: string, max: number): number | null {
  if (!/^\d+$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= max ? n : null;
}

export function draftFromLimits(limits: Limits | null | undefined): LimitsDraft {
  const repeats = limits?.repeats;
  return {
    month: microsToInput(limits?.month_micros),
    day: microsToInput(limits?.day_micros),
    run: microsToInput(limits?.run_micros),
    velocityWindow: limits?.velocity ? String(limits.velocity.window_seconds) : '',
    velocityMax: microsToInput(limits?.velocity?.max_micros),
    repeatsMax: repeats ? String(repeats.max) : '',
    repeatsWindow: repeats ? String(repeats.window_seconds) : '',
  };
}

/** Turns the typed form into the PATCH body's `limits`, or says what is wrong. Empty = no limit. */
export function limitsPayload(
  draft: LimitsDraft,
): { ok: true; value: LimitsPayload } | { ok: false; error: string } {
  const month = parseUsdInput(draft.month);
  const day = parseUsdInput(draft.day);
  const run = parseUsdInput(draft.run);
  const max = parseUsdInput(draft.velocityMax);
  for (const [label, parsed] of [
    ['Month', month],
    ['Day', day],
    ['Run', run],
    ['Velocity', max],
  ] as const) {
    if (!parsed.ok) return { ok: false, error: `${label} limit: ${parsed.error}` };
  }
  if (!month.ok || !day.ok || !run.ok || !max.ok) return { ok: false, error: 'invalid limits' };
  let velocity: LimitsPayload['velocity'] = null;
  const windowText = draft.velocityWindow.trim();
  if (max.value !== null || windowText !== '') {
    const windowSeconds = Number(windowText);
    if (!/^\d+$/.test(windowText) || windowSeconds < 1 || windowSeconds > 3600) {
      return { ok: false, error: 'Velocity window: whole seconds from 1 to 3600.' };
    }
    if (max.value === null)
      return { ok: false, error: 'Velocity limit: enter the most the window may spend.' };
    velocity = { window_seconds: windowSeconds, max_usd: max.value };
  }
  let repeats: LimitsPayload['repeats'] = null;
  const repeatsMaxText = draft.repeatsMax.trim();
  const repeatsWindowText = draft.repeatsWindow.trim();
  if (repeatsMaxText !== '' || repeatsWindowText !== '') {
    const most = wholeNumber(repeatsMaxText, REPEATS_MAX);
    if (most === null) return { ok: false, error: 'Repeats: a whole number of calls from 1 to 100000.' };
    const within = wholeNumber(repeatsWindowText, REPEATS_WINDOW_MAX);
    if (within === null) return { ok: false, error: 'Repeats window: whole seconds from 1 to 86400.' };
    repeats = { max: most, window_seconds: within };
  }
  return {
    ok: true,
    value: { month_usd: month.value, day_usd: day.value, run_usd: run.value, velocity, repeats },
  };
}
