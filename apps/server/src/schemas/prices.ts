// Wire shapes of the prices routes (docs/api.md §14): the price a provider + model is charged at, and a customer's own
// prices. Decimal strings both ways: a price is never a float on the wire.
import { Type } from 'typebox';
import { Cursor, Limit, Nullable, Page, ref, Timestamp } from './common.js';
// The same rules as a usage's provider and model: whatever an event may name can be priced.
import { ModelField, ProviderField } from './spend.js';

const PerMtok = Nullable(
  Type.String({
    description: 'USD per million tokens, exact decimal; null: no price of its own for this class',
  }),
);

/** The four prices of a model. A class without its own price is charged at the uncached input price. */
export const PricesSchema = Type.Object(
  {
    input_per_mtok_usd: PerMtok,
    output_per_mtok_usd: PerMtok,
    cache_read_per_mtok_usd: PerMtok,
    cache_write_per_mtok_usd: PerMtok,
  },
  {
    $id: 'Prices',
    additionalProperties: false,
    description: 'USD per million tokens; a tiered catalogue price shows its base (below the first tier)',
  },
);

export const ModelPriceSchema = Type.Object(
  {
    provider: Type.String({ description: 'lowercase' }),
    model: Type.String({ description: 'as asked (GET) or as stored, lowercase (PUT)' }),
    source: Type.Union([Type.Literal('catalogue'), Type.Literal('customer')]),
    catalogue_version: Nullable(
      Type.String({ description: 'e.g. genai-prices@0.1.8; null for the customer’s own price' }),
    ),
    matched_model: Type.String({
      description:
        'the entry that prices it: the catalogue’s model id (a dated snapshot id resolves to its model), the ' +
        'customer’s model, or "*"',
    }),
    prices: ref(PricesSchema),
  },
  {
    $id: 'ModelPrice',
    additionalProperties: false,
    description: 'what a usage of this provider + model is priced at for this customer',
  },
);

export const CustomerPriceSchema = Type.Object(
  {
    provider: Type.String({ description: 'lowercase' }),
    model: Type.String({
      description: 'lowercase; "*" prices every model of the provider the catalogue lacks',
    }),
    prices: ref(PricesSchema),
    updated_at: Timestamp,
  },
  { $id: 'CustomerPrice', additionalProperties: false },
);

export const CustomerPricePageSchema = Type.Object(Page(ref(CustomerPriceSchema)).properties, {
  $id: 'CustomerPricePage',
  additionalProperties: false,
});

export const PriceQuery = Type.Object(
  { provider: ProviderField, model: ModelField },
  { additionalProperties: false },
);

/** `model` "*" prices every model of the provider the catalogue does not know; a "/" in a model id is sent as %2F. */
export const PriceParams = Type.Object({ provider: ProviderField, model: ModelField });

export const CustomerPriceListQuery = Type.Object(
  { limit: Limit, cursor: Cursor },
  { additionalProperties: false },
);

const PriceInput = (what: string) =>
  Type.Optional(
    Type.Union([Type.Number(), Type.String({ maxLength: 32 }), Type.Null()], {
      description: `${what}, USD per million tokens: a JSON number or a decimal string (at most 9 decimal places, at most 10000, no exponent); missing or null: no price of its own`,
    }),
  );

export const PutPriceBody = Type.Object(
  {
    prices: Type.Object(
      {
        input_per_mtok_usd: PriceInput('uncached input'),
        output_per_mtok_usd: PriceInput('output'),
        cache_read_per_mtok_usd: PriceInput('input read from the prompt cache (missing: the input price)'),
        cache_write_per_mtok_usd: PriceInput('input written to the prompt cache (missing: the input price)'),
      },
      { additionalProperties: false, description: 'at least input_per_mtok_usd or output_per_mtok_usd' },
    ),
  },
  {
    additionalProperties: false,
    examples: [
      { prices: { input_per_mtok_usd: '2.25', output_per_mtok_usd: 9, cache_read_per_mtok_usd: '1.125' } },
    ],
  },
);
