// The `fingerprint` a guarded LLM call sends so the agent's `repeats` limit can catch a loop: the same model asked the
// same thing again and again. A SHA-256 of canonical JSON, so key order in the request does not make two identical
// prompts look different. WebCrypto (global in Node ≥ 20, browsers, edge runtimes) keeps the SDK free of imports.

/** JSON with object keys sorted at every level and `undefined` members dropped, as JSON.stringify drops them. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const members = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Lower-case hex SHA-256 of the canonical JSON of `value`: 64 printable ASCII chars (the API allows 1–128). */
export async function fingerprintOf(value: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(value));
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
