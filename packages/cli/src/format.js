// Output helpers: exact money from micros, aligned tables, RFC 4180 CSV and colours (on a TTY, unless NO_COLOR).

const MICROS_PER_USD = 1_000_000n;

/**
 * Dollars from whole micro-dollars, exactly (integer arithmetic, never a float): 12300 → "$0.0123",
 * 50000000 → "$50.00", 1 → "$0.000001". At least two decimals, at most six, trailing zeros beyond two dropped.
 * @param {number | string | bigint | null | undefined} micros
 * @returns {string}
 */
export function usd(micros) {
  if (micros === null || micros === undefined) return '-';
  let n = BigInt(micros);
  const negative = n < 0n;
  if (negative) n = -n;
  const whole = (n / MICROS_PER_USD).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  let fraction = (n % MICROS_PER_USD).toString().padStart(6, '0');
  while (fraction.length > 2 && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  return `${negative ? '-' : ''}$${whole}.${fraction}`;
}

/**
 * Whether to colour a stream: only a TTY, and never when NO_COLOR is set to a non-empty value (no-color.org).
 * @param {{ isTTY?: boolean }} stream
 * @param {Record<string, string | undefined>} env
 */
export function colourEnabled(stream, env) {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 };

/**
 * @param {boolean} enabled
 * @returns {Record<keyof typeof CODES, (text: string) => string>}
 */
export function palette(enabled) {
  /** @type {Record<string, (text: string) => string>} */
  const out = {};
  for (const [name, code] of Object.entries(CODES)) {
    out[name] = enabled ? (text) => `\u001b[${code}m${text}\u001b[0m` : (text) => text;
  }
  return /** @type {Record<keyof typeof CODES, (text: string) => string>} */ (out);
}

/**
 * @typedef {{ header: string, value: (row: any) => string, align?: 'left' | 'right', colour?: (text: string, row: any) => string }} Column
 */

/**
 * A plain-text table: a header line and one line per row, columns separated by two spaces. Widths are measured
 * before colouring, so escape codes never shift the columns.
 * @param {Column[]} columns
 * @param {any[]} rows
 * @param {ReturnType<typeof palette>} colours
 * @returns {string}
 */
export function table(columns, rows, colours) {
  const cells = rows.map((row) => columns.map((c) => oneLine(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const pad = (/** @type {string} */ text, /** @type {number} */ i) => {
    const width = widths[i] ?? 0;
    return columns[i]?.align === 'right' ? text.padStart(width) : text.padEnd(width);
  };
  const lines = [
    colours.bold(
      columns
        .map((c, i) => pad(c.header, i))
        .join('  ')
        .trimEnd(),
    ),
  ];
  cells.forEach((r, rowIndex) => {
    const parts = r.map((text, i) => {
      const padded = pad(text, i);
      const colour = columns[i]?.colour;
      return colour ? colour(padded, rows[rowIndex]) : padded;
    });
    lines.push(parts.join('  ').trimEnd());
  });
  return `${lines.join('\n')}\n`;
}

/** Control characters (a newline in a note or key) would break a table's lines: shown escaped. */
function oneLine(/** @type {string} */ text) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]/g, (ch) => JSON.stringify(ch).slice(1, -1));
}

/**
 * One RFC 4180 field: quoted when it holds a comma, a double quote, CR or LF; inner quotes doubled.
 * @param {unknown} value
 */
export function csvField(value) {
  if (value === null || value === undefined) return '';
  const text =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * RFC 4180 CSV: a header line, CRLF line ends.
 * @param {string[]} header
 * @param {unknown[][]} rows
 */
export function csv(header, rows) {
  return [header, ...rows].map((r) => `${r.map(csvField).join(',')}\r\n`).join('');
}

/** The event columns of `events --csv`, in this fixed order. */
export const EVENT_CSV_COLUMNS = [
  'id',
  'recorded_at',
  'occurred_at',
  'agent',
  'status',
  'decline_code',
  'cost_micros',
  'cost_usd',
  'run',
  'idempotency_key',
  'reservation_id',
  'metadata',
];

/** @param {Record<string, unknown>} event */
export function eventCsvRow(event) {
  return EVENT_CSV_COLUMNS.map((c) => {
    const v = event[c];
    // An absent or null metadata is an empty cell; a present object is its JSON.
    return v === undefined ? null : v;
  });
}
