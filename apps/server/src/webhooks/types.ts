// The alert types webhooks carry (docs/api.md §13); an endpoint subscribes to some or all of them.
export const WEBHOOK_EVENT_TYPES = [
  'budget.threshold',
  'agent.suspended',
  'agent.resumed',
  'webhook.test',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface WebhookEndpoint {
  id: string;
  url: string;
  events: WebhookEventType[];
  description: string | null;
  createdAt: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  id: string;
  eventId: string;
  type: string;
  attempt: number;
  status: DeliveryStatus;
  responseStatus: number | null;
  error: string | null;
  createdAt: number;
  nextAttemptAt: number | null;
}
