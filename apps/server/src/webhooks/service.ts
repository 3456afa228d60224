// Webhook endpoints and their delivery log (docs/api.md §13), behind the /v1/webhooks routes: creation checks the URL
// (url.ts) and makes the secret; every change is audited; a test ping and a manual retry go through the same outbox
// and workers as every alert.
import { recordAudit } from '../audit.js';
import type { Principal } from '../auth/types.js';
import type { Db } from '../db/types.js';
import { invalidCursor } from '../http/cursor.js';
import { conflict, invalidRequest, notFound } from '../http/errors.js';
import { enqueueAlert } from './outbox.js';
import {
  deleteEndpoint,
  findEndpoint,
  insertEndpoint,
  listAlerts,
  listDeliveries,
  listEndpoints,
  retryDelivery,
} from './repository.js';
import { newWebhookSecret } from './signature.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEndpoint, type WebhookEventType } from './types.js';
import { webhookUrlProblem } from './url.js';
import type { WebhookWorker } from './worker.js';

/** Live endpoints per customer: every alert is sent to each subscribed one, so their number is bounded. */
export const MAX_ENDPOINTS_PER_CUSTOMER = 20;

export function createWebhookService(deps: { db: Db; worker: WebhookWorker; allowPrivate: boolean }) {
  const { db } = deps;
  const mustFind = async (customerId: string, id: string, deleted = false): Promise<WebhookEndpoint> => {
    const found = await findEndpoint(db, customerId, id, { deleted });
    if (!found) throw notFound('webhook endpoint');
    return found;
  };

  return {
    async create(
      actor: Principal,
      input: { url: string; events?: WebhookEventType[]; description?: string | null },
    ): Promise<WebhookEndpoint & { secret: string }> {
      const problem = webhookUrlProblem(input.url, deps.allowPrivate);
      if (problem) throw invalidRequest([{ field: 'url', problem }]);
      const secret = newWebhookSecret();
      const endpoint = await db.transaction(async (tx) => {
        const created = await insertEndpoint(
          tx,
          actor.customerId,
          {
            url: input.url,
            events: input.events ?? [...WEBHOOK_EVENT_TYPES],
            description: input.description ?? null,
            secret,
          },
          MAX_ENDPOINTS_PER_CUSTOMER,
        );
        if (!created) {
          throw conflict(
            'url',
            `A customer has at most ${MAX_ENDPOINTS_PER_CUSTOMER} webhook endpoints; delete one before adding another.`,
          );
        }
        await recordAudit(tx, {
          customerId: actor.customerId,
          actor,
          action: 'webhook.create',
          targetType: 'webhook',
          targetId: created.id,
          after: { url: created.url, events: created.events },
        });
        return created;
      });
      return { ...endpoint, secret };
    },

    list: (customerId: string, afterId: string | null, limit: number) =>
      listEndpoints(db, customerId, afterId, limit),

    async remove(actor: Principal, id: string): Promise<void> {
      await db.transaction(async (tx) => {
        const before = await findEndpoint(tx, actor.customerId, id);
        if (!before) throw notFound('webhook endpoint');
        await deleteEndpoint(tx, actor.customerId, id);
        await recordAudit(tx, {
          customerId: actor.customerId,
          actor,
          action: 'webhook.delete',
          targetType: 'webhook',
          targetId: id,
          before: { url: before.url, events: before.events },
        });
      });
    },

    /** A webhook.test to this endpoint only, whatever its `events`. */
    async test(customerId: string, id: string): Promise<string> {
      const endpoint = await mustFind(customerId, id);
      const eventId = await db.transaction((tx) =>
        enqueueAlert(
          tx,
          customerId,
          'webhook.test',
          { endpoint: { id: endpoint.id, url: endpoint.url } },
          {
            endpointId: endpoint.id,
          },
        ),
      );
      deps.worker.kick();
      return eventId;
    },

    /** `afterId`: the last alert of the previous page (its cursor); another customer's → 400. */
    async alerts(customerId: string, afterId: string | null, limit: number) {
      const list = await listAlerts(db, customerId, afterId, limit);
      if (!list) throw invalidCursor();
      return list;
    },

    async deliveries(customerId: string, id: string, afterId: string | null, limit: number) {
      await mustFind(customerId, id, true);
      const list = await listDeliveries(db, customerId, id, afterId, limit);
      if (!list) throw invalidCursor();
      return list;
    },

    async retry(customerId: string, id: string, deliveryId: string) {
      await mustFind(customerId, id);
      const delivery = await retryDelivery(db, customerId, id, deliveryId);
      if (!delivery) throw notFound('delivery');
      deps.worker.kick();
      return delivery;
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
