// A customer's own prices (docs/api.md §14) and the one lookup every usage-priced request goes through (pricesFor).
//
// Precedence, most specific first: the customer's price for the model as asked → the customer's price for the model
// the catalogue resolves the name to (a negotiated "gpt-4o" price covers "gpt-4o-2024-08-06", which is what OpenAI's
// responses name) → the catalogue → the customer's `*` price for the provider. `*` is last on purpose: it prices the
// models the catalogue does not know (self-hosted, fine-tunes), and must never silently replace a known model's price.
//
// Provider and model are compared lowercase, as the catalogue compares them; customer prices are flat (no tiers) and
// have no history (the price in force is the one stored now). Writes are one transaction with their audit entry.
import { recordAudit } from '../audit.js';
import type { Principal } from '../auth/types.js';
import type { FieldProblem } from '../budget/money.js';
import type { Db, Queryable } from '../db/types.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { ApiError } from '../http/errors.js';
import { CATALOGUE_VERSION, cataloguePrices, type ModelPrices, type TokenPrice } from './catalogue.js';
import { type NanoMicros, PRICE_SCALE, priceFromDecimal, priceToDecimal } from './exact-price.js';

/** The model key that prices every model of a provider the catalogue does not know. */
export const ANY_MODEL = '*';
/** USD per million tokens; the most expensive real price is a few hundred (o1-pro output: 600). */
export const MAX_PRICE_PER_MTOK_USD = 10_000;

/** A customer's four prices in nano-micros per token (exact-price.ts); null = no price of its own. */
export interface FlatPrices {
  input: NanoMicros | null;
  output: NanoMicros | null;
  cacheRead: NanoMicros | null;
  cacheWrite: NanoMicros | null;
}

export interface CustomerPrice {
  provider: string;
  model: string;
  prices: FlatPrices;
  updatedAt: string;
}

/** What priced (or would price) a provider + model for one customer. */
export interface ResolvedPrices {
  source: 'catalogue' | 'customer';
  /** The catalogue's version when it priced the model; null for a customer price. */
  catalogueVersion: string | null;
  /** The entry that matched: the customer's model key (`*` included) or the catalogue's model id. */
  matchedModel: string;
  prices: ModelPrices;
}

/** The wire names of the four prices, in the order the API lists them. */
export const PRICE_FIELDS = [
  ['input_per_mtok_usd', 'input'],
  ['output_per_mtok_usd', 'output'],
  ['cache_read_per_mtok_usd', 'cacheRead'],
  ['cache_write_per_mtok_usd', 'cacheWrite'],
] as const;

export type PricesJson = Record<(typeof PRICE_FIELDS)[number][0], string | null>;

// Plain decimal digits only: no sign, no exponent, no leading zeros, no spaces. The exponent form priceFromDecimal also
// reads is for the catalogue's JSON numbers; a person's price is written out.
const PLAIN_DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;
const MAX_PRICE = BigInt(MAX_PRICE_PER_MTOK_USD) * 10n ** BigInt(PRICE_SCALE);

/** One price of a request (a JSON number or a decimal string, USD per million tokens), exactly, or its problem. */
export function parsePriceInput(
  value: unknown,
): { ok: true; price: NanoMicros | null } | { ok: false; problem: string } {
  if (value === undefined || value === null) return { ok: true, price: null };
  if (typeof value !== 'number' && typeof value !== 'string') {
    return { ok: false, problem: 'must be a JSON number, a decimal string or null' };
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return { ok: false, problem: 'must be finite' };
  // A JSON number is taken as the shortest decimal that reads back as it (String(0.075) is "0.075"), so 1e-7 and
  // 1e21, which print with an exponent, are refused like the string "1e-7".
  const text = typeof value === 'number' ? String(value) : value;
  if (text.startsWith('-')) return { ok: false, problem: 'must not be negative' };
  if (!PLAIN_DECIMAL.test(text)) {
    return {
      ok: false,
      problem: 'must be a plain decimal in USD per million tokens, e.g. "2.5" (no exponent)',
    };
  }
  const fraction = text.split('.')[1] ?? '';
  if (fraction.length > PRICE_SCALE) {
    return { ok: false, problem: `may have at most ${PRICE_SCALE} decimal places` };
  }
  const price = priceFromDecimal(text);
  if (price === null) return { ok: false, problem: 'is not an exact decimal' };
  if (price > MAX_PRICE) return { ok: false, problem: `must be at most ${MAX_PRICE_PER_MTOK_USD}` };
  return { ok: true, price };
}

/**
 * The `prices` object of a PUT as exact prices, or every problem (field named `prices.<field>`). At least one of input
 * and output must be priced: a price set without either would make every call an unknown model or $0 input.
 */
export function parsePricesInput(
  body: Partial<Record<(typeof PRICE_FIELDS)[number][0], unknown>>,
): { ok: true; prices: FlatPrices } | { ok: false; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const prices: FlatPrices = { input: null, output: null, cacheRead: null, cacheWrite: null };
  for (const [wire, key] of PRICE_FIELDS) {
    const parsed = parsePriceInput(body[wire]);
    if (parsed.ok) prices[key] = parsed.price;
    else problems.push({ field: `prices.${wire}`, problem: parsed.problem });
  }
  if (problems.length === 0 && prices.input === null && prices.output === null) {
    problems.push({
      field: 'prices.input_per_mtok_usd',
      problem: 'give at least input_per_mtok_usd or output_per_mtok_usd',
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, prices };
}

const decimal = (p: NanoMicros | null) => (p === null ? null : priceToDecimal(p));

export function flatPricesJson(p: FlatPrices): PricesJson {
  return {
    input_per_mtok_usd: decimal(p.input),
    output_per_mtok_usd: decimal(p.output),
    cache_read_per_mtok_usd: decimal(p.cacheRead),
    cache_write_per_mtok_usd: decimal(p.cacheWrite),
  };
}

/** A model's list prices for the wire: a tiered price shows its base (the price below the first tier). */
export function modelPricesJson(p: ModelPrices): PricesJson {
  const base = (t: TokenPrice | null) => (t === null ? null : t.base);
  return flatPricesJson({
    input: base(p.input),
    output: base(p.output),
    cacheRead: base(p.cacheRead),
    cacheWrite: base(p.cacheWrite),
  });
}

const flat = (p: NanoMicros | null): TokenPrice | null => (p === null ? null : { base: p, tiers: [] });

function asModelPrices(p: FlatPrices): ModelPrices {
  return {
    input: flat(p.input),
    output: flat(p.output),
    cacheRead: flat(p.cacheRead),
    cacheWrite: flat(p.cacheWrite),
  };
}

interface PriceRow {
  provider: string;
  model: string;
  input: string | null;
  output: string | null;
  cache_read: string | null;
  cache_write: string | null;
  updated_at: Date | string;
}

// numeric read as text on both drivers (PGlite would parse numeric into a float); "2.500000000" reads back exactly.
const COLUMNS = `provider, model, input_per_mtok_usd::text AS input, output_per_mtok_usd::text AS output,
  cache_read_per_mtok_usd::text AS cache_read, cache_write_per_mtok_usd::text AS cache_write, updated_at`;

function stored(text: string | null): NanoMicros | null {
  if (text === null) return null;
  const price = priceFromDecimal(text);
  // The column's type and checks make this impossible; refuse rather than price at a wrong value.
  if (price === null) throw new Error(`customer_prices holds a price that is not an exact decimal: ${text}`);
  return price;
}

function fromRow(r: PriceRow): CustomerPrice {
  return {
    provider: r.provider,
    model: r.model,
    prices: {
      input: stored(r.input),
      output: stored(r.output),
      cacheRead: stored(r.cache_read),
      cacheWrite: stored(r.cache_write),
    },
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

/** The key a price is stored under: provider and model lowercase. */
export function priceKey(provider: string, model: string): { provider: string; model: string } {
  return { provider: provider.toLowerCase(), model: model.toLowerCase() };
}

export async function getCustomerPrice(
  q: Queryable,
  customerId: string,
  provider: string,
  model: string,
): Promise<CustomerPrice | null> {
  const key = priceKey(provider, model);
  const { rows } = await q.query<PriceRow>(
    `SELECT ${COLUMNS} FROM customer_prices WHERE customer_id = $1 AND provider = $2 AND model = $3`,
    [customerId, key.provider, key.model],
  );
  return rows[0] ? fromRow(rows[0]) : null;
}

const isKeyCursor = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string';

/** The customer's prices by provider, then model; keyset pagination on that order. */
export async function listCustomerPrices(
  q: Queryable,
  customerId: string,
  page: { limit: number; cursor: string | undefined },
): Promise<{ data: CustomerPrice[]; nextCursor: string | null }> {
  const after = decodeCursor(page.cursor, isKeyCursor);
  const { rows } = await q.query<PriceRow>(
    `SELECT ${COLUMNS} FROM customer_prices
     WHERE customer_id = $1 AND ($2::text IS NULL OR (provider, model) > ($2::text, $3::text))
     ORDER BY provider, model LIMIT $4`,
    [customerId, after?.[0] ?? null, after?.[1] ?? null, page.limit + 1],
  );
  const data = rows.slice(0, page.limit).map(fromRow);
  const last = data.at(-1);
  return {
    data,
    nextCursor: rows.length > page.limit && last ? encodeCursor([last.provider, last.model]) : null,
  };
}

/** What the audit log keeps of a price: the key and the four decimals. */
const auditJson = (p: CustomerPrice | null) =>
  p === null ? null : { provider: p.provider, model: p.model, ...flatPricesJson(p.prices) };

/**
 * Serialises writes of one (customer, provider, model) for the length of the transaction, so the audit entry's
 * `before` is the row this write replaced even when two PUTs of a new price race (a row lock cannot lock a row that
 * does not exist yet).
 */
async function lockKey(tx: Queryable, customerId: string, key: { provider: string; model: string }) {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('customer_prices'), hashtext($1))`, [
    `${customerId}\u0001${key.provider}\u0001${key.model}`,
  ]);
}

/** Creates or replaces the customer's price of provider + model (`*` included); audited as `price.put`. */
export async function putCustomerPrice(
  db: Db,
  actor: Principal,
  provider: string,
  model: string,
  prices: FlatPrices,
): Promise<CustomerPrice> {
  const key = priceKey(provider, model);
  const customerId = actor.customerId;
  return db.transaction(async (tx) => {
    await lockKey(tx, customerId, key);
    const before = await getCustomerPrice(tx, customerId, key.provider, key.model);
    const { rows } = await tx.query<PriceRow>(
      `INSERT INTO customer_prices (customer_id, provider, model, input_per_mtok_usd, output_per_mtok_usd,
         cache_read_per_mtok_usd, cache_write_per_mtok_usd, updated_at)
       VALUES ($1, $2, $3, $4::numeric, $5::numeric, $6::numeric, $7::numeric, now())
       ON CONFLICT (customer_id, provider, model) DO UPDATE SET
         input_per_mtok_usd = EXCLUDED.input_per_mtok_usd, output_per_mtok_usd = EXCLUDED.output_per_mtok_usd,
         cache_read_per_mtok_usd = EXCLUDED.cache_read_per_mtok_usd,
         cache_write_per_mtok_usd = EXCLUDED.cache_write_per_mtok_usd, updated_at = now()
       RETURNING ${COLUMNS}`,
      [
        customerId,
        key.provider,
        key.model,
        // Exact decimal text into numeric: no float on the way in either.
        decimal(prices.input),
        decimal(prices.output),
        decimal(prices.cacheRead),
        decimal(prices.cacheWrite),
      ],
    );
    const after = fromRow(rows[0] as PriceRow);
    await recordAudit(tx, {
      customerId,
      actor,
      action: 'price.put',
      targetType: 'price',
      targetId: `${key.provider}/${key.model}`,
      before: auditJson(before),
      after: auditJson(after),
    });
    return after;
  });
}

/** Removes the customer's price; false when there was none (nothing changed, nothing audited). */
export async function deleteCustomerPrice(
  db: Db,
  actor: Principal,
  provider: string,
  model: string,
): Promise<boolean> {
  const key = priceKey(provider, model);
  const customerId = actor.customerId;
  return db.transaction(async (tx) => {
    await lockKey(tx, customerId, key);
    const before = await getCustomerPrice(tx, customerId, key.provider, key.model);
    if (before === null) return false;
    await tx.query('DELETE FROM customer_prices WHERE customer_id = $1 AND provider = $2 AND model = $3', [
      customerId,
      key.provider,
      key.model,
    ]);
    await recordAudit(tx, {
      customerId,
      actor,
      action: 'price.delete',
      targetType: 'price',
      targetId: `${key.provider}/${key.model}`,
      before: auditJson(before),
      after: null,
    });
    return true;
  });
}

/** 422 unknown_model (docs/api.md §4): neither the catalogue nor the customer prices it; never priced as $0. */
export function unknownModel(
  provider: string,
  model: string,
  message = `No price is known for ${provider} model ${model}; nothing was counted.`,
): ApiError {
  return new ApiError('unknown_model', message, { provider, model });
}

// Lookups of the same key running at the same time share one read: 200 concurrent usage-priced events of one model
// cost one query, not 200 queued for the pool (or, embedded, for PGlite's one thread) ahead of the decisions. Nothing
// is kept once the read is answered, so this caches nothing: a request sees a price at least as new as the one in
// PostgreSQL when an identical lookup started, never older.
const inFlight = new WeakMap<Queryable, Map<string, Promise<PriceRow[]>>>();

function sharedRead(q: Queryable, params: [string, string, string, string]): Promise<PriceRow[]> {
  let running = inFlight.get(q);
  if (!running) {
    running = new Map();
    inFlight.set(q, running);
  }
  const key = params.join('\u0001');
  const joined = running.get(key);
  if (joined) return joined;
  const map = running;
  const read = q
    .query<PriceRow>(
      `SELECT ${COLUMNS} FROM customer_prices
       WHERE customer_id = $1 AND provider = $2 AND model IN ($3, $4, $5)`,
      [...params, ANY_MODEL],
    )
    .then((r) => r.rows)
    .finally(() => map.delete(key));
  map.set(key, read);
  return read;
}

/**
 * The prices of `provider` + `model` for this customer at `at` (see the precedence above), or null when neither the
 * customer nor the catalogue knows the model. One indexed read of customer_prices (the primary key), whatever matches.
 */
export async function pricesFor(
  q: Queryable,
  customerId: string,
  provider: string,
  model: string,
  at: Date,
): Promise<ResolvedPrices | null> {
  const key = priceKey(provider, model);
  const catalogue = cataloguePrices(key.provider, model, at);
  const alias = catalogue ? catalogue.model.toLowerCase() : key.model;
  const rows = await sharedRead(q, [customerId, key.provider, key.model, alias]);
  const mine = new Map(rows.map((r) => [r.model, r]));
  const own = mine.get(key.model) ?? mine.get(alias);
  const customer = (r: PriceRow): ResolvedPrices => ({
    source: 'customer',
    catalogueVersion: null,
    matchedModel: r.model,
    prices: asModelPrices(fromRow(r).prices),
  });
  if (own) return customer(own);
  if (catalogue) {
    return {
      source: 'catalogue',
      catalogueVersion: CATALOGUE_VERSION,
      matchedModel: catalogue.model,
      prices: catalogue.prices,
    };
  }
  const any = mine.get(ANY_MODEL);
  return any ? customer(any) : null;
}
