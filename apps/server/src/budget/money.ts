// Money parsing and formatting (docs/api.md §2). Every amount inside Spendguard is an integer number of
// micro-dollars held in a JS number that is a safe integer. Parsing works on decimal *text* with
// integer arithmetic only: `x * 1e6` on a float is never done, because 0.0000005 * 1e6 and friends
// land on the wrong side of a rounding boundary.
//
// Decisions (documented because the spec leaves them open):
// - USD strings: `digits[.digits][e[+-]digits]`, e.g. "0.0123", "12", "0", "00.5", "1.5e-7".
//   Rejected: leading "+" or "-" (so "-0.0" is rejected too), trailing or leading dot ("12.", ".5"),
//   whitespace anywhere, empty string, hex/Infinity/NaN text, strings longer than 40 characters.
//   Exponents are accepted because JS prints small/large numbers that way (`String(1e-7) === "1e-7"`)
//   and they are parsed exactly; an exponent too large for the cap ("1e400") is "over the maximum".
// - USD numbers: the shortest round-trip decimal text of the number (`String(n)`) is parsed exactly,
//   so 0.0123 means exactly "0.0123". The number -0 (JSON `-0`) is treated as 0; any other negative
//   number is rejected, as are NaN and ±Infinity.
// - Rounding is half-up to whole micros: "0.0000005" -> 1, "0.0000004999" -> 0.
// - Micros: a JSON integer that is a safe integer, >= 0 and <= the maximum. Strings are rejected.

export const MICROS_PER_USD = 1_000_000;
/** At most 1,000,000 USD for one event (docs/api.md §2). */
export const MAX_EVENT_MICROS = 1_000_000 * MICROS_PER_USD;
/** Sanity cap for configured limits: 1,000,000,000 USD. */
export const MAX_LIMIT_MICROS = 1_000_000_000 * MICROS_PER_USD;

export interface FieldProblem {
  field: string;
  problem: string;
}

export type MicrosResult = { ok: true; micros: number } | { ok: false; problem: string };

const MICRO_DIGITS = 6;
const MAX_USD_TEXT_LENGTH = 40;
// Unsigned decimal with optional fraction and optional exponent; capture groups: int, frac, exp.
const USD_TEXT = /^([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

const NOT_USD = 'must be a non-negative decimal number of USD';
const NOT_MICROS = 'must be a non-negative integer number of micro-dollars';

function overMax(maxMicros: number): string {
  return `must be at most ${formatUsd(maxMicros)} USD`;
}

/** Parses a USD amount given as a JSON number or a decimal string; rounds half-up to whole micros. */
export function parseUsd(value: unknown, maxMicros: number): MicrosResult {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, problem: 'must be a finite number of USD' };
    if (value < 0) return { ok: false, problem: NOT_USD };
    // String(-0) is "0", so -0 is accepted as 0 here on purpose.
    text = String(value);
  } else if (typeof value === 'string') {
    text = value;
  } else {
    return { ok: false, problem: NOT_USD };
  }
  if (text.length === 0 || text.length > MAX_USD_TEXT_LENGTH) return { ok: false, problem: NOT_USD };
  const match = USD_TEXT.exec(text);
  if (match === null) return { ok: false, problem: NOT_USD };
  const micros = decimalToMicros(match[1]!, match[2] ?? '', match[3] ?? '0', maxMicros);
  if (micros === undefined) return { ok: false, problem: overMax(maxMicros) };
  return { ok: true, micros };
}

/**
 * Exact conversion of `int.frac × 10^exp` USD to micros, rounded half-up.
 * Returns undefined when the result exceeds maxMicros.
 */
function decimalToMicros(
  intPart: string,
  fracPart: string,
  expText: string,
  maxMicros: number,
): number | undefined {
  // All digits as one integer D; the value is D × 10^(exp - fracLength) USD,
  // i.e. D × 10^shift micros with shift = exp - fracLength + 6.
  const digits = (intPart + fracPart).replace(/^0+/, '');
  if (digits.length === 0) return 0; // the value is exactly zero, whatever the exponent
  const exp = Number(expText); // at most ~38 digits because of the length cap: finite, maybe inexact when huge
  const shift = exp - fracPart.length + MICRO_DIGITS;
  // Whole-micro part has digits.length + shift digits (first digit is non-zero). Safe integers have
  // at most 16 digits, so anything longer is over any sensible maximum; this check also keeps
  // absurd exponents (1e999999) from ever building a huge number.
  const wholeDigitCount = digits.length + shift;
  if (wholeDigitCount > 16) return undefined;
  let whole: bigint;
  let roundUp = false;
  if (shift >= 0) {
    whole = BigInt(digits + '0'.repeat(shift));
  } else if (wholeDigitCount >= 0) {
    // Cut `-shift` digits off the end; the first digit cut off decides half-up rounding
    // (the value is non-negative, so any later digits can only push it further up, never below .5).
    whole = wholeDigitCount === 0 ? 0n : BigInt(digits.slice(0, wholeDigitCount));
    roundUp = digits.charCodeAt(wholeDigitCount) >= 0x35; // '5'
  } else {
    // Every digit lies at least two places below the micro: the value is < 0.1 micro, rounds to 0.
    whole = 0n;
  }
  if (roundUp) whole += 1n;
  if (whole > BigInt(maxMicros)) return undefined;
  return Number(whole);
}

/** Parses an amount given in micros: a JSON integer only (no strings, no fractions). */
export function parseMicros(value: unknown, maxMicros: number): MicrosResult {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return { ok: false, problem: NOT_MICROS };
  }
  if (value > maxMicros) return { ok: false, problem: `must be at most ${maxMicros} micros` };
  // Normalise -0 (JSON `-0`) to 0 so it never leaks into arithmetic or output as "-0".
  return { ok: true, micros: value === 0 ? 0 : value };
}

/**
 * Reads exactly one of body[usdField] / body[microsField]. Both present is a problem; neither is a
 * problem when `required`, otherwise `micros: undefined`. A field counts as present when the body
 * has it as an own property with a value other than `undefined` — so JSON `null` is present and
 * rejected; a caller for which `null` means "no limit" must check for null before calling this.
 */
export function parseAmount(
  body: Record<string, unknown>,
  usdField: string,
  microsField: string,
  opts: { maxMicros: number; required: boolean },
): { ok: true; micros: number | undefined } | { ok: false; problems: FieldProblem[] } {
  const hasUsd = Object.hasOwn(body, usdField) && body[usdField] !== undefined;
  const hasMicros = Object.hasOwn(body, microsField) && body[microsField] !== undefined;
  if (hasUsd && hasMicros) {
    const problem = `give either ${usdField} or ${microsField}, not both`;
    return {
      ok: false,
      problems: [
        { field: usdField, problem },
        { field: microsField, problem },
      ],
    };
  }
  if (!hasUsd && !hasMicros) {
    if (!opts.required) return { ok: true, micros: undefined };
    return {
      ok: false,
      problems: [{ field: usdField, problem: `required: give ${usdField} or ${microsField}` }],
    };
  }
  const field = hasUsd ? usdField : microsField;
  const result = hasUsd
    ? parseUsd(body[usdField], opts.maxMicros)
    : parseMicros(body[microsField], opts.maxMicros);
  if (!result.ok) return { ok: false, problems: [{ field, problem: result.problem }] };
  return { ok: true, micros: result.micros };
}

/**
 * Exact decimal USD text with 6 decimals: 12300 -> "0.012300", -1730000 -> "-1.730000".
 * Integer math only; throws RangeError for anything that is not a safe integer.
 */
export function formatUsd(micros: number): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError(`formatUsd needs a safe integer, got ${micros}`);
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const fraction = abs % MICROS_PER_USD; // exact for safe integers
  const whole = (abs - fraction) / MICROS_PER_USD; // exact: the dividend is a multiple of 1e6
  return `${sign}${whole}.${String(fraction).padStart(MICRO_DIGITS, '0')}`;
}
