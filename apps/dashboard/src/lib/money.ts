// Amounts arrive as integer micro-dollars. Formatting uses integer arithmetic only, so a spend of
// 1 micro never shows as "$0.00" and $1.73 never shows as "$1.7299999".

const MICROS_PER_USD = 1_000_000;

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Decimal string of a micros amount without a currency sign: 1_730_000 → "1.73", 12_300 → "0.0123". */
export function microsToDecimal(micros: number, minFractionDigits = 2): string {
  if (!Number.isSafeInteger(micros)) return '?';
  const negative = micros < 0;
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / MICROS_PER_USD);
  const fraction = String(abs % MICROS_PER_USD)
    .padStart(6, '0')
    .replace(/0+$/, '');
  const shownFraction = fraction.padEnd(minFractionDigits, '0');
  const body = shownFraction.length > 0 ? `${whole}.${shownFraction}` : String(whole);
  return negative ? `-${body}` : body;
}

/** "$1.73" for whole cents, otherwise every significant sub-cent digit ("$0.0123", "$0.000001"). */
export function formatUsd(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return '—';
  if (!Number.isSafeInteger(micros)) return '?';
  const decimal = microsToDecimal(Math.abs(micros));
  const [whole = '0', fraction = ''] = decimal.split('.');
  const text = `$${groupThousands(whole)}.${fraction}`;
  return micros < 0 ? `-${text}` : text;
}

/** Form value for a limit input: the exact decimal, or "" when there is no limit. */
export function microsToInput(micros: number | null | undefined): string {
  if (micros === null || micros === undefined) return '';
  return microsToDecimal(micros, 0);
}

const USD_INPUT = /^\d{1,7}(\.\d{1,6})?$/;

/** Validates a typed dollar amount; returns the trimmed decimal string the API accepts, or an error. */
export function parseUsdInput(
  raw: string,
): { ok: true; value: string | null } | { ok: false; error: string } {
  const text = raw.trim().replace(/^\$/, '');
  if (text === '') return { ok: true, value: null };
  if (!USD_INPUT.test(text)) {
    return { ok: false, error: 'Enter dollars like 12.50 (up to 6 decimals), or leave empty for no limit.' };
  }
  return { ok: true, value: text };
}

/** Share of a limit used, 0–100 (clamped), for progress bars. Integer maths until the final division. */
export function percentUsed(spentMicros: number, limitMicros: number | null): number | null {
  if (limitMicros === null) return null;
  if (limitMicros <= 0) return spentMicros > 0 ? 100 : 0;
  return Math.min(100, (spentMicros * 100) / limitMicros);
}

/** How a bar is coloured: red from 95 % (about to be refused), amber from 80 %. */
export function barLevel(percent: number | null): 'none' | 'ok' | 'high' | 'full' {
  if (percent === null) return 'none';
  if (percent >= 95) return 'full';
  return percent >= 80 ? 'high' : 'ok';
}
