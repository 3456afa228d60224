// The dashboard is an ordinary API client: same origin, session cookie sent by the browser, and the
// CSRF token (from signup / login / GET /v1/auth/me) on every state-changing request.

let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** An error answer of the API, carrying the docs/api.md §4 envelope's code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Called when any request answers 401, so the app can drop back to the login page. */
let onUnauthenticated: (() => void) | null = null;
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

export async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network_error', 'The server could not be reached. Check your connection.');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const envelope = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | null)
      ?.error;
    if (response.status === 401 && !path.startsWith('/v1/auth/')) onUnauthenticated?.();
    throw new ApiError(
      response.status,
      envelope?.code ?? 'http_error',
      envelope?.message ?? `Request failed (${response.status})`,
      envelope?.details,
    );
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

/** Builds "path?a=1&b=2", skipping empty values. */
export function withQuery(path: string, query: Record<string, string | number | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export function agentPath(name: string): string {
  return `/v1/agents/${encodeURIComponent(name)}`;
}

/** A customer price's path (docs/api.md §14): a "/" inside a model id travels as %2F, one path segment. */
export function pricePath(provider: string, model: string): string {
  return `/v1/prices/${encodeURIComponent(provider)}/${encodeURIComponent(model)}`;
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    const details = Array.isArray(error.details)
      ? error.details
          .map((d) =>
            typeof d === 'object' && d ? Object.values(d as Record<string, unknown>).join(': ') : '',
          )
          .filter(Boolean)
          .join('; ')
      : '';
    return details ? `${error.message} (${details})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
