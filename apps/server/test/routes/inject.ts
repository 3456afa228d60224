// Typed helpers for the per-route suites: requests through app.inject (no network), a signed-up customer with its
// session and keys, and the few reads the suites repeat. Bodies come back typed by the caller (Static<typeof X>);
// the harness checks every answer against its route's declared schema, so a wrong shape is a 500, not a silent pass.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Static } from 'typebox';
import type { SpendguardApp } from '../../src/app.js';
import type { CreatedApiKeySchema, SessionSchema } from '../../src/schemas/accounts.js';
import type { AgentSchema } from '../../src/schemas/agents.js';
import type { ErrorBodySchema } from '../../src/schemas/common.js';
import type { EventCreatedSchema, EventSchema, ReservationSchema } from '../../src/schemas/spend.js';
import { uniqueSuffix } from '../harness.js';

export type ErrorBody = Static<typeof ErrorBodySchema>;
export type ApiErrorJson = ErrorBody['error'];
export type SessionJson = Static<typeof SessionSchema>;
export type CreatedKeyJson = Static<typeof CreatedApiKeySchema>;
export type AgentJson = Static<typeof AgentSchema>;
export type EventJson = Static<typeof EventSchema>;
export type EventCreatedJson = Static<typeof EventCreatedSchema>;
export type ReservationJson = Static<typeof ReservationSchema>;

/** A dashboard session: the Cookie header value and the CSRF token it needs on writes. */
export interface Session {
  cookie: string;
  csrf: string;
}

export interface InjectOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** A JSON body (sent with Content-Type: application/json). */
  body?: unknown;
  /** A body sent as these exact bytes, with `contentType` (default none). */
  raw?: string | Buffer;
  contentType?: string;
  /** An API key, sent as `Authorization: Bearer …`. */
  key?: string;
  /** A session cookie; on writes its CSRF token is sent too unless `csrf` says otherwise. */
  session?: Session;
  /** false: send no X-CSRF-Token even with a session; a string: send this one. */
  csrf?: string | false;
  idempotencyKey?: string;
  headers?: Record<string, string>;
  /** The client address (the brute-force counters are per address). */
  remoteAddress?: string;
}

/** Who a request comes from, as the route tests pass it to their small request helpers. */
export type Auth = Pick<InjectOptions, 'key' | 'session' | 'csrf' | 'headers'>;

export interface Injected<T> {
  status: number;
  headers: OutgoingHttpHeaders;
  body: T;
  /** The body as sent, for checks on the bytes (no secrets in it, …). */
  text: string;
  cookies: Array<{ name: string; value: string; [attribute: string]: unknown }>;
}

const WRITES = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** One request through app.inject; the JSON body typed as T (null for an empty body). */
export async function injectJson<T>(
  app: SpendguardApp,
  url: string,
  options: InjectOptions = {},
): Promise<Injected<T>> {
  const method = options.method ?? (options.body === undefined && options.raw === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = {};
  let payload: string | Buffer | undefined;
  if (options.raw !== undefined) {
    payload = options.raw;
    if (options.contentType) headers['content-type'] = options.contentType;
  } else if (options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] = options.contentType ?? 'application/json';
  }
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  if (options.session) {
    headers.cookie = options.session.cookie;
    if (WRITES.has(method) && options.csrf !== false) {
      headers['x-csrf-token'] = options.csrf ?? options.session.csrf;
    }
  } else if (typeof options.csrf === 'string') {
    headers['x-csrf-token'] = options.csrf;
  }
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  Object.assign(headers, options.headers);
  const response = await app.inject({
    method,
    url,
    headers,
    ...(payload !== undefined ? { payload } : {}),
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
  const text = response.body;
  let body: unknown = null;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return {
    status: response.statusCode,
    headers: response.headers,
    body: body as T,
    text,
    cookies: response.cookies as Injected<T>['cookies'],
  };
}

/** Asserts the status of an answer, showing the body when it is another one. */
export function expectStatus<T>(res: Injected<T>, status: number, what = ''): Injected<T> {
  assert.equal(res.status, status, `${what} expected ${status}, got ${res.status}: ${res.text}`);
  return res;
}

/** Asserts an error answer: its status, its code, and that it is the §4 envelope. Returns the `error` object. */
export function expectError(res: Injected<unknown>, status: number, code: string, what = ''): ApiErrorJson {
  expectStatus(res, status, what);
  const body = res.body as ErrorBody;
  assert.equal(typeof body, 'object', `${what} error body is not JSON: ${res.text}`);
  assert.equal(body.error.code, code, `${what} ${res.text}`);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  return body.error;
}

/** The `details` of a 400, asserting one of them names `field` (and, if given, a problem matching `problem`). */
export function expectInvalid(
  res: Injected<unknown>,
  field: string,
  problem?: RegExp,
  what = '',
): Array<{ field: string; problem: string }> {
  const error = expectError(res, 400, 'invalid_request', what);
  const details = error.details ?? [];
  assert.ok(details.length > 0, `${what} a 400 without details: ${res.text}`);
  const hit = details.find((d) => d.field === field && (problem === undefined || problem.test(d.problem)));
  assert.ok(hit, `${what} no detail for field ${field}${problem ? ` ~ ${problem}` : ''}: ${res.text}`);
  return details;
}

/** A header of an inject answer as one string (undefined when absent). */
export function header(res: Injected<unknown>, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

let addressSequence = 0;
/**
 * A client address no other request of this process used: every signup gets its own, so a suite never meets the
 * limit of 10 signups per address (docs/api.md §8) unless it means to.
 */
export function freshAddress(): string {
  addressSequence += 1;
  return `10.${(addressSequence >> 16) & 255}.${(addressSequence >> 8) & 255}.${addressSequence & 255}`;
}

export interface Customer {
  email: string;
  password: string;
  company: string;
  session: Session;
  me: SessionJson;
  customerId: string;
  userId: string;
  /** The client address its signup came from. */
  address: string;
}

export interface CustomerWithKeys extends Customer {
  admin: CreatedKeyJson;
  ingest: CreatedKeyJson;
}

export function newEmail(): string {
  return `user-${uniqueSuffix()}@example.test`;
}

export function newPassword(): string {
  return `pw-${randomBytes(12).toString('hex')}`;
}

/** The `sg_session` cookie of an answer, as a Cookie header value. */
export function sessionCookieOf(res: Injected<unknown>): string {
  const cookie = res.cookies.find((c) => c.name === 'sg_session');
  assert.ok(cookie, `no sg_session cookie in the answer (status ${res.status})`);
  return `sg_session=${cookie.value}`;
}

/** Signs up a new customer (one scrypt, ≈100 ms) and returns its session. */
export async function signup(app: SpendguardApp): Promise<Customer> {
  const email = newEmail();
  const password = newPassword();
  const company = `Company ${uniqueSuffix()}`;
  const address = freshAddress();
  const res = expectStatus(
    await injectJson<SessionJson>(app, '/v1/auth/signup', {
      body: { email, password, company },
      remoteAddress: address,
    }),
    201,
    'signup',
  );
  return {
    email,
    password,
    company,
    session: { cookie: sessionCookieOf(res), csrf: res.body.csrf_token },
    me: res.body,
    customerId: res.body.customer.id,
    userId: res.body.user.id,
    address,
  };
}

/** Creates an API key with the session (cookie + CSRF token). */
export async function createKey(
  app: SpendguardApp,
  session: Session,
  body: { name?: string; kind: 'admin' | 'ingest'; agent?: string },
): Promise<CreatedKeyJson> {
  const res = await injectJson<CreatedKeyJson>(app, '/v1/api-keys', {
    session,
    body: {
      name: body.name ?? `${body.kind} key`,
      kind: body.kind,
      ...(body.agent ? { agent: body.agent } : {}),
    },
  });
  return expectStatus(res, 201, 'key creation').body;
}

/** A signed-up customer with an admin key and an (unbound) ingest key. */
export async function customerWithKeys(app: SpendguardApp): Promise<CustomerWithKeys> {
  const customer = await signup(app);
  const admin = await createKey(app, customer.session, { kind: 'admin' });
  const ingest = await createKey(app, customer.session, { kind: 'ingest' });
  return { ...customer, admin, ingest };
}

/** `count` customers with keys, signed up together: each signup costs one scrypt, so a file signs up once. */
export function customersWithKeys(app: SpendguardApp, count: number): Promise<CustomerWithKeys[]> {
  return Promise.all(Array.from({ length: count }, () => customerWithKeys(app)));
}

let keySequence = 0;
/** An idempotency key unique in this process. */
export function idemKey(label = 'k'): string {
  keySequence += 1;
  return `${label}-${uniqueSuffix()}-${keySequence}`;
}

/** Creates an agent with an admin key (201 asserted). */
export async function createAgent(
  app: SpendguardApp,
  key: string,
  name: string,
  limits?: Record<string, unknown>,
): Promise<AgentJson> {
  const res = await injectJson<AgentJson>(app, '/v1/agents', {
    key,
    body: { name, ...(limits ? { limits } : {}) },
  });
  return expectStatus(res, 201, `create agent ${name}`).body;
}

/** Reads one agent (200 asserted). */
export async function getAgent(app: SpendguardApp, key: string, name: string): Promise<AgentJson> {
  return expectStatus(
    await injectJson<AgentJson>(app, `/v1/agents/${encodeURIComponent(name)}`, { key }),
    200,
    `get agent ${name}`,
  ).body;
}

/** Posts an event with a fresh idempotency key unless one is given. */
export function postEvent<T = EventCreatedJson>(
  app: SpendguardApp,
  auth: { key?: string; session?: Session },
  body: Record<string, unknown>,
  idempotencyKey: string = idemKey('evt'),
): Promise<Injected<T>> {
  return injectJson<T>(app, '/v1/events', { ...auth, body, idempotencyKey });
}

/** The first instant of the next UTC month / day after `now`, as ISO text. */
export function nextMonthStart(now = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
}
export function nextDayStart(now = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)).toISOString();
}

/** A declined event or reservation carried by a 403 (its `event`/`reservation` field is untyped in the schema). */
export function declinedEvent(error: ApiErrorJson): EventJson {
  assert.equal(typeof error.event, 'object', 'the 403 carries no declined event');
  return error.event as EventJson;
}
export function declinedReservation(error: ApiErrorJson): ReservationJson {
  assert.equal(typeof error.reservation, 'object', 'the 403 carries no declined reservation');
  return error.reservation as ReservationJson;
}

/** A syntactically valid key no customer has (refused after the lookup, not by its shape). */
export function unknownKey(kind: 'ingest' | 'admin' = 'ingest'): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(40);
  let tail = '';
  for (const b of bytes) tail += alphabet[b % alphabet.length];
  return `sg_${kind}_${tail}`;
}
