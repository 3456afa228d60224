// A small HTTP client for the Spendguard API (docs/api.md): Bearer auth, JSON in and out, the error envelope turned
// into an ApiError, an unreachable server into an UnreachableError. The key is only ever sent, never shown.

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class UnreachableError extends Error {}

const TIMEOUT_MS = 15_000;

/**
 * @param {{ baseUrl: string, apiKey: string, userAgent: string }} options
 */
export function createClient({ baseUrl, apiKey, userAgent }) {
  const base = baseUrl.replace(/\/+$/, '');

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  async function request(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = {
      authorization: `Bearer ${apiKey}`,
      accept: 'application/json',
      'user-agent': userAgent,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new UnreachableError(`cannot reach the Spendguard server at ${base}: ${reason(error)}`);
    }
    const text = await response.text().catch(() => '');
    /** @type {any} */
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (a proxy's error page): handled below
    }
    if (!response.ok) {
      const error = parsed?.error;
      throw new ApiError(
        response.status,
        typeof error?.code === 'string' ? error.code : `http_${response.status}`,
        typeof error?.message === 'string' ? error.message : `HTTP ${response.status} ${response.statusText}`,
      );
    }
    if (parsed === null && text !== '') {
      throw new ApiError(response.status, 'bad_response', `the server at ${base} did not answer JSON`);
    }
    return parsed;
  }

  /**
   * Every page of a list (docs/api.md §9), up to `max` items (all when undefined).
   * @param {string} path
   * @param {Record<string, string | undefined>} query
   * @param {number} [max]
   */
  async function list(path, query, max) {
    /** @type {any[]} */
    const items = [];
    let cursor;
    do {
      const want = max === undefined ? 100 : Math.min(100, max - items.length);
      const page = await request('GET', `${path}${queryString({ ...query, limit: String(want), cursor })}`);
      items.push(...page.data);
      cursor = page.next_cursor ?? undefined;
    } while (cursor && (max === undefined || items.length < max));
    return items;
  }

  return { request, list };
}

/** @param {Record<string, string | undefined>} query */
export function queryString(query) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** @param {unknown} error */
function reason(error) {
  if (error instanceof Error && error.name === 'TimeoutError')
    return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = error instanceof Error ? /** @type {any} */ (error).cause : undefined;
  if (cause?.code) return String(cause.code);
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
