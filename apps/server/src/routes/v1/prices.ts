// Prices (docs/api.md §14): GET /v1/prices?provider=&model= (what a usage of that model is charged at for the caller's
// customer), the customer's own prices — PUT and DELETE /v1/prices/{provider}/{model} (admin, audited) — and
// GET /v1/prices/customer, their list (an addition to the contract: the dashboard's settings page shows it).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../../auth/plugin.js';
import type { AppContext } from '../../context.js';
import { invalidRequest } from '../../http/errors.js';
import {
  type CustomerPrice,
  deleteCustomerPrice,
  flatPricesJson,
  listCustomerPrices,
  modelPricesJson,
  parsePricesInput,
  pricesFor,
  putCustomerPrice,
  unknownModel,
} from '../../pricing/customer-prices.js';
import { errors, ref } from '../../schemas/common.js';
import {
  CustomerPriceListQuery,
  CustomerPricePageSchema,
  ModelPriceSchema,
  PriceParams,
  PriceQuery,
  PutPriceBody,
} from '../../schemas/prices.js';

const tags = ['prices'];

const customerPriceJson = (p: CustomerPrice) => ({
  provider: p.provider,
  model: p.model,
  prices: flatPricesJson(p.prices),
  updated_at: p.updatedAt,
});

export async function priceRoutes(fastify: FastifyInstance, ctx: AppContext): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/v1/prices',
    {
      config: { access: 'ingest' },
      schema: {
        tags,
        summary: 'The price a usage of this provider + model is charged at, for the caller’s customer',
        description:
          'The customer’s own price of the model if it has one, else the bundled catalogue’s, else the customer’s ' +
          '"*" price of the provider (for models the catalogue does not know). Neither: 422 unknown_model.',
        querystring: PriceQuery,
        response: {
          200: ref(ModelPriceSchema, 'the prices in force now'),
          ...errors(400, 401, 403, 422, 429, 500, 503),
        },
      },
    },
    async (request) => {
      const { provider, model } = request.query;
      const found = await pricesFor(ctx.db, principalOf(request).customerId, provider, model, new Date());
      if (!found) throw unknownModel(provider, model);
      return {
        provider: provider.toLowerCase(),
        model,
        source: found.source,
        catalogue_version: found.catalogueVersion,
        matched_model: found.matchedModel,
        prices: modelPricesJson(found.prices),
      };
    },
  );

  app.get(
    '/v1/prices/customer',
    {
      config: { access: 'ingest' },
      schema: {
        tags,
        summary: 'The customer’s own prices, by provider and model (an addition to the contract)',
        querystring: CustomerPriceListQuery,
        response: {
          200: ref(CustomerPricePageSchema, 'one page, by provider then model'),
          ...errors(400, 401, 403, 429, 500, 503),
        },
      },
    },
    async (request) => {
      const page = await listCustomerPrices(ctx.db, principalOf(request).customerId, {
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
      });
      return { data: page.data.map(customerPriceJson), next_cursor: page.nextCursor };
    },
  );

  app.put(
    '/v1/prices/:provider/:model',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Set the customer’s own price of a model (overrides the catalogue for this customer only)',
        description:
          'Model "*" prices every model of the provider the catalogue does not know. Provider and model are stored ' +
          'lowercase. A "/" in a model id is sent as %2F. In force for the very next request. Audited (price.put).',
        params: PriceParams,
        body: PutPriceBody,
        response: {
          200: ref(ModelPriceSchema, 'the price as stored (source customer)'),
          ...errors(400, 401, 403, 413, 415, 429, 500, 503),
        },
      },
    },
    async (request) => {
      const parsed = parsePricesInput(request.body.prices);
      if (!parsed.ok) throw invalidRequest(parsed.problems);
      const { provider, model } = request.params;
      const saved = await putCustomerPrice(ctx.db, principalOf(request), provider, model, parsed.prices);
      return {
        provider: saved.provider,
        model: saved.model,
        source: 'customer' as const,
        catalogue_version: null,
        matched_model: saved.model,
        prices: flatPricesJson(saved.prices),
      };
    },
  );

  app.delete(
    '/v1/prices/:provider/:model',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Remove the customer’s own price; the model is priced from the catalogue again',
        description:
          'Idempotent: 204 also when the customer had no such price (then nothing is audited). Audited ' +
          '(price.delete) when a price was removed.',
        params: PriceParams,
        response: {
          204: { type: 'null', description: 'removed (or there was none)' },
          ...errors(400, 401, 403, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      const { provider, model } = request.params;
      await deleteCustomerPrice(ctx.db, principalOf(request), provider, model);
      return reply.code(204).send(null);
    },
  );
}
