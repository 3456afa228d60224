// Every string the API stores is valid Unicode without NUL (docs/api.md §5): a `\u0000` or a lone surrogate anywhere in a
// body, a query or a path parameter is `400 invalid_request` before any handler runs. PostgreSQL refuses both (text
// and jsonb cannot hold NUL; a lone surrogate is not valid UTF-8), and a refused row used to fail a whole batch of
// other customers' events — now nothing reaches the stores that they cannot take.
import type { FastifyInstance } from 'fastify';
import { type ErrorDetail, invalidRequest } from './errors.js';

const PROBLEM = 'contains a NUL character or a lone surrogate (not valid Unicode text)';

// With the u flag a surrogate PAIR is one code point, so the class only matches a lone surrogate (and NUL).
// (String.prototype.isWellFormed is ES2024; the project's lib stays at what Node 20 fully has.)
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding NUL is the point
const UNSTORABLE = /[\u0000\uD800-\uDFFF]/u;
const storable = (text: string) => !UNSTORABLE.test(text);

/** The dotted paths of every string (object keys too) that cannot be stored, at most `limit` of them. */
export function unstorableText(
  value: unknown,
  path: string,
  out: ErrorDetail[] = [],
  limit = 20,
): ErrorDetail[] {
  if (out.length >= limit) return out;
  if (typeof value === 'string') {
    if (!storable(value)) out.push({ field: path, problem: PROBLEM });
  } else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) unstorableText(item, `${path}.${i}`, out, limit);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const at = path === '' ? key : `${path}.${key}`;
      if (!storable(key)) out.push({ field: at, problem: `has a key that ${PROBLEM}` });
      unstorableText(item, at, out, limit);
    }
  }
  return out;
}

export function registerStoredTextCheck(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const problems = [
      ...unstorableText(request.body, ''),
      ...unstorableText(request.query, 'query'),
      ...unstorableText(request.params, 'path'),
    ].map((p) => (p.field === '' ? { ...p, field: 'body' } : p));
    if (problems.length > 0)
      throw invalidRequest(problems, 'The request contains text that cannot be stored.');
  });
}
