// Configuration: one TypeBox schema → one inferred Config type, parsed once at start (docs/api.md §11).
// Invalid values stop the process with one message naming every bad variable and never echo a value.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { MAX_LIMIT_MICROS, MICROS_PER_USD, parseUsd } from './budget/money.js';
import { parseEncryptionKey } from './gateway/credential-cipher.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LogLevel = Type.Unsafe<(typeof LOG_LEVELS)[number]>(Type.Union(LOG_LEVELS.map((l) => Type.Literal(l))));

const EnvSchema = Type.Object({
  NODE_ENV: Type.Optional(Type.String()),
  SPENDGUARD_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  SPENDGUARD_REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  SPENDGUARD_REDIS_PREFIX: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9:_-]{1,64}$' })),
  SPENDGUARD_DATA_DIR: Type.Optional(Type.String({ minLength: 1 })),
  SPENDGUARD_HOST: Type.Optional(Type.String({ minLength: 1 })),
  SPENDGUARD_PORT: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  SPENDGUARD_SESSION_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  SPENDGUARD_METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  SPENDGUARD_LOG_LEVEL: Type.Optional(LogLevel),
  SPENDGUARD_ALLOW_EMBEDDED: Type.Optional(Type.Union([Type.Literal('0'), Type.Literal('1')])),
  SPENDGUARD_TRUST_PROXY: Type.Optional(Type.Union([Type.Literal('0'), Type.Literal('1')])),
  SPENDGUARD_CHECK_RESPONSES: Type.Optional(Type.Union([Type.Literal('0'), Type.Literal('1')])),
  SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS: Type.Optional(Type.Union([Type.Literal('0'), Type.Literal('1')])),
  SPENDGUARD_WEBHOOK_ALLOW_PRIVATE: Type.Optional(Type.Union([Type.Literal('0'), Type.Literal('1')])),
  // Checked by parseEncryptionKey below (64 hex characters or 32 bytes of base64/base64url).
  SPENDGUARD_ENCRYPTION_KEY: Type.Optional(Type.String()),
  SPENDGUARD_ENCRYPTION_KEY_PREVIOUS: Type.Optional(Type.String()),
  // Checked by parseUsd below (exact decimals, like every amount of the API); empty = no default limit.
  SPENDGUARD_DEFAULT_AGENT_MONTH_USD: Type.Optional(Type.String()),
  SPENDGUARD_SIGNUP: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed')])),
  SPENDGUARD_OWNER_EMAIL: Type.Optional(Type.String({ pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 254 })),
  SPENDGUARD_PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^/?#\\s]+(/[^?#\\s]*)?$' })),
});

/** docs/api.md §8 "Safe by default": what a new customer's agents may spend a month unless a person sets otherwise. */
export const DEFAULT_AGENT_MONTH_MICROS = 10 * MICROS_PER_USD;

export interface Config {
  production: boolean;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Prefix of every Redis key; lets test runs and several deployments share one Redis. */
  redisPrefix: string;
  dataDir: string;
  host: string;
  port: number;
  sessionSecret: string;
  metricsToken: string | undefined;
  logLevel: Static<typeof LogLevel>;
  trustProxy: boolean;
  /** Check every response against its declared schema (the test suites turn it on; a mismatch answers 500). */
  checkResponses: boolean;
  /** The monthly limit in a new customer's default agent limits; null = none (the operator set it empty). */
  defaultAgentMonthMicros: number | null;
  /** closed: only the very first signup of an empty instance (with ownerEmail, only that email); then invites. */
  signup: { closed: boolean; ownerEmail: string | null };
  /** Where people reach this server (invite links are built from it, never from a request's Host header). */
  publicUrl: string;
  /**
   * The key provider credentials are encrypted under (docs/api.md §12). null only in production without
   * SPENDGUARD_ENCRYPTION_KEY: then storing a credential is refused, and a start with stored ones fails.
   */
  encryptionKey: Buffer | null;
  /** Older keys (SPENDGUARD_ENCRYPTION_KEY_PREVIOUS), decrypt only; credentials under them are re-encrypted at start. */
  previousEncryptionKeys: Buffer[];
  /** Provider base_urls may use http and private or loopback addresses (self-hosted models, tests). */
  allowPrivateUpstreams: boolean;
  /** SPENDGUARD_WEBHOOK_ALLOW_PRIVATE=1: webhook endpoints may use http and private addresses (docs/api.md §13). */
  webhookAllowPrivate: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Switches: 1/0, true/false or yes/no (any case), read as '1' / '0' before the schema sees them. */
const BOOLEAN_VARIABLES = new Set([
  'SPENDGUARD_ALLOW_EMBEDDED',
  'SPENDGUARD_TRUST_PROXY',
  'SPENDGUARD_CHECK_RESPONSES',
  'SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS',
  'SPENDGUARD_WEBHOOK_ALLOW_PRIVATE',
]);
const TRUE_WORDS = new Set(['1', 'true', 'yes']);
const FALSE_WORDS = new Set(['0', 'false', 'no']);

function normaliseBoolean(value: string): string {
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return '1';
  if (FALSE_WORDS.has(word)) return '0';
  return value;
}

/** Names the clients read (the SDK's examples, curl in the docs), often set in the same shell: not the server's. */
const CLIENT_VARIABLES = new Set(['SPENDGUARD_API_KEY', 'SPENDGUARD_KEY', 'SPENDGUARD_URL']);

/** Edit distance (insertions, deletions, substitutions): how far a typo is from a real name. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * Warnings for SPENDGUARD_* names this server does not know — in the environment or a `.env` file — with the
 * closest known name: a misspelt SPENDGUARD_DATABSE_URL would otherwise run the server embedded without a word.
 */
export function unknownSettings(env: NodeJS.ProcessEnv): string[] {
  const known = Object.keys(EnvSchema.properties).filter((k) => k.startsWith('SPENDGUARD_'));
  return Object.keys(env)
    .filter((name) => name.startsWith('SPENDGUARD_') && !known.includes(name) && !CLIENT_VARIABLES.has(name))
    .sort()
    .map((name) => {
      const closest = known.map((k) => ({ k, d: editDistance(name, k) })).sort((x, y) => x.d - y.d)[0];
      const hint = closest && closest.d <= 4 ? ` — did you mean ${closest.k}?` : '';
      return `${name} is not a Spendguard setting and is ignored${hint}`;
    });
}

/** Human text per variable; says what is wrong, never what the value was. */
function describeProblem(variable: string): string {
  switch (variable) {
    case 'SPENDGUARD_DATABASE_URL':
      return 'SPENDGUARD_DATABASE_URL must be a postgres:// or postgresql:// URL';
    case 'SPENDGUARD_REDIS_URL':
      return 'SPENDGUARD_REDIS_URL must be a redis:// or rediss:// URL';
    case 'SPENDGUARD_PORT':
      return 'SPENDGUARD_PORT must be a port number 0-65535';
    case 'SPENDGUARD_SESSION_SECRET':
      return 'SPENDGUARD_SESSION_SECRET must be at least 32 characters';
    case 'SPENDGUARD_METRICS_TOKEN':
      return 'SPENDGUARD_METRICS_TOKEN must be at least 16 characters';
    case 'SPENDGUARD_LOG_LEVEL':
      return 'SPENDGUARD_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent';
    case 'SPENDGUARD_SIGNUP':
      return 'SPENDGUARD_SIGNUP must be open or closed';
    case 'SPENDGUARD_OWNER_EMAIL':
      return 'SPENDGUARD_OWNER_EMAIL must be an email address';
    case 'SPENDGUARD_PUBLIC_URL':
      return 'SPENDGUARD_PUBLIC_URL must be an http:// or https:// URL without query or fragment, e.g. https://spend.example.com';
    case 'SPENDGUARD_DEFAULT_AGENT_MONTH_USD':
      return 'SPENDGUARD_DEFAULT_AGENT_MONTH_USD must be a USD amount such as 10 or 2.50 (empty = no default limit)';
    case 'SPENDGUARD_ENCRYPTION_KEY':
      return 'SPENDGUARD_ENCRYPTION_KEY must be 32 random bytes as 64 hex characters or base64/base64url (e.g. openssl rand -hex 32)';
    case 'SPENDGUARD_ENCRYPTION_KEY_PREVIOUS':
      return 'SPENDGUARD_ENCRYPTION_KEY_PREVIOUS must be a comma-separated list of keys, each 32 bytes as 64 hex characters or base64/base64url';
    default:
      return BOOLEAN_VARIABLES.has(variable)
        ? `${variable} must be 1/0, true/false or yes/no`
        : `${variable} has an invalid value`;
  }
}

/** Parses the environment (already merged with .env) into a Config, or throws ConfigError listing every problem. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') {
      relevant[key] = BOOLEAN_VARIABLES.has(key) ? normaliseBoolean(value) : value;
    }
  }
  const problems = new Set<string>();
  for (const error of Value.Errors(EnvSchema, relevant)) {
    problems.add(describeProblem(error.instancePath.replace(/^\//, '').split('/')[0] ?? ''));
  }
  const e = relevant as Static<typeof EnvSchema>;
  const production = e.NODE_ENV === 'production';
  const port = Number(e.SPENDGUARD_PORT ?? '8787');
  if (!Number.isInteger(port) || port > 65535) problems.add(describeProblem('SPENDGUARD_PORT'));
  if (
    production &&
    !e.SPENDGUARD_SESSION_SECRET &&
    !problems.has(describeProblem('SPENDGUARD_SESSION_SECRET'))
  ) {
    problems.add('SPENDGUARD_SESSION_SECRET is required when NODE_ENV=production');
  }
  if (production && !e.SPENDGUARD_DATABASE_URL && e.SPENDGUARD_ALLOW_EMBEDDED !== '1') {
    problems.add(
      'SPENDGUARD_DATABASE_URL is required when NODE_ENV=production: the embedded database does not fsync ' +
        '(set SPENDGUARD_ALLOW_EMBEDDED=1 to accept that risk)',
    );
  }
  const defaultAgentMonthMicros = defaultAgentMonth(env.SPENDGUARD_DEFAULT_AGENT_MONTH_USD);
  if (defaultAgentMonthMicros === undefined)
    problems.add(describeProblem('SPENDGUARD_DEFAULT_AGENT_MONTH_USD'));
  const givenKey =
    e.SPENDGUARD_ENCRYPTION_KEY === undefined ? undefined : parseEncryptionKey(e.SPENDGUARD_ENCRYPTION_KEY);
  if (givenKey === null) problems.add(describeProblem('SPENDGUARD_ENCRYPTION_KEY'));
  const previousKeys = (e.SPENDGUARD_ENCRYPTION_KEY_PREVIOUS ?? '')
    .split(',')
    .filter((k) => k.trim() !== '')
    .map(parseEncryptionKey);
  if (previousKeys.some((k) => k === null))
    problems.add(describeProblem('SPENDGUARD_ENCRYPTION_KEY_PREVIOUS'));
  if (production && previousKeys.length > 0 && e.SPENDGUARD_ENCRYPTION_KEY === undefined) {
    problems.add(
      'SPENDGUARD_ENCRYPTION_KEY_PREVIOUS needs SPENDGUARD_ENCRYPTION_KEY: the previous keys only decrypt, the current one re-encrypts',
    );
  }
  if (problems.size > 0) throw new ConfigError([...problems]);

  const dataDir = resolve(e.SPENDGUARD_DATA_DIR ?? './.spendguard');
  const host = e.SPENDGUARD_HOST ?? '127.0.0.1';
  return {
    production,
    databaseUrl: e.SPENDGUARD_DATABASE_URL,
    redisUrl: e.SPENDGUARD_REDIS_URL,
    redisPrefix: e.SPENDGUARD_REDIS_PREFIX ?? 'sg',
    dataDir,
    host,
    port,
    sessionSecret: e.SPENDGUARD_SESSION_SECRET ?? localSessionSecret(dataDir),
    metricsToken: e.SPENDGUARD_METRICS_TOKEN,
    logLevel: e.SPENDGUARD_LOG_LEVEL ?? 'info',
    trustProxy: e.SPENDGUARD_TRUST_PROXY === '1',
    checkResponses: e.SPENDGUARD_CHECK_RESPONSES === '1',
    defaultAgentMonthMicros: defaultAgentMonthMicros ?? null,
    signup: { closed: e.SPENDGUARD_SIGNUP === 'closed', ownerEmail: e.SPENDGUARD_OWNER_EMAIL ?? null },
    // Without a public URL, links point at this server's own address (right for `npm start` on a laptop).
    publicUrl: (e.SPENDGUARD_PUBLIC_URL ?? httpUrl(host, port)).replace(/\/+$/, ''),
    // In production a key is never generated: one on a single machine's disk would be lost with it, and every instance
    // must have the same. Without one, credentials cannot be stored (PUT /v1/providers answers 503).
    encryptionKey: givenKey ?? (production ? null : localEncryptionKey(dataDir)),
    previousEncryptionKeys: previousKeys.filter((k): k is Buffer => k !== null),
    allowPrivateUpstreams: e.SPENDGUARD_ALLOW_PRIVATE_UPSTREAMS === '1',
    webhookAllowPrivate: e.SPENDGUARD_WEBHOOK_ALLOW_PRIVATE === '1',
  };
}

/**
 * Unset → the 10 USD default; set but empty (`SPENDGUARD_DEFAULT_AGENT_MONTH_USD=`) → null, no default limit: the
 * one variable where empty means something, so it is read here rather than with the others. undefined = invalid.
 */
function defaultAgentMonth(value: string | undefined): number | null | undefined {
  if (value === undefined) return DEFAULT_AGENT_MONTH_MICROS;
  if (value.trim() === '') return null;
  const parsed = parseUsd(value.trim(), MAX_LIMIT_MICROS);
  return parsed.ok ? parsed.micros : undefined;
}

/** http://host:port of a listening address; an IPv6 host goes in brackets. */
export function httpUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Outside production a secret is generated once into the data dir (mode 0600) so sessions survive restarts. */
function localSessionSecret(dataDir: string): string {
  return localSecret(dataDir, 'session-secret', () => randomBytes(32).toString('base64url'));
}

/**
 * Outside production the credential key is generated once into the data dir (mode 0600), so stored provider
 * credentials still decrypt after a restart. A file that holds no valid key is a configuration problem, named by path.
 */
function localEncryptionKey(dataDir: string): Buffer {
  const file = join(dataDir, 'encryption-key');
  const key = parseEncryptionKey(
    localSecret(dataDir, 'encryption-key', () => randomBytes(32).toString('hex')),
  );
  if (!key) {
    throw new ConfigError([
      `${file} does not hold a valid encryption key (64 hex characters); set SPENDGUARD_ENCRYPTION_KEY to the key the stored credentials were encrypted with`,
    ]);
  }
  return key;
}

/** The secret in dataDir/name, written there (mode 0600) by the first start that needed it. */
function localSecret(dataDir: string, name: string, generate: () => string): string {
  const file = join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = generate();
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return secret;
  } catch (error) {
    // Another instance starting at the same moment wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw error;
  }
}

/** Loads `.env` from the working directory if present (Node's own loader; real env vars win). */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
