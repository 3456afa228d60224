// Which storage failures mean "dependency unavailable" (→ 503 + Retry-After, safe to retry)
// as opposed to a bug (→ 500).

const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

export function isUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof StoreUnavailableError) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_NODE_CODES.has(code)) return true;
    // PostgreSQL SQLSTATE classes: 08 connection exception, 53 insufficient resources,
    // 57P0x operator intervention (shutdown), 57014 statement timeout.
    if (/^(08|53)/.test(code) || /^57P0/.test(code) || code === '57014') return true;
  }
  const msg = error.message;
  return (
    /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connection is closed/i.test(
      msg,
    ) ||
    /Connection is closed|Stream isn't writeable|MaxRetriesPerRequestError|Reached the max retries/i.test(msg)
  );
}
