// Bus channels of the budget engine. Dashboard streams subscribe to their customer's channel only, so a
// customer's spend never reaches another customer's stream.

/** Per-customer channel carrying `spend`, `agent` and `declined` messages to GET /v1/stream. */
export const customerChannel = (customerId: string) => `customer:${customerId}`;

/** Instance-wide channel telling every instance to forget cached agent/customer settings. */
export const INVALIDATE_CHANNEL = 'engine:invalidate';

export type LiveMessage =
  | {
      type: 'spend';
      data: { agent: string; spend: { month_micros: number; day_micros: number; velocity_micros: number } };
    }
  | { type: 'agent'; data: unknown }
  | { type: 'declined'; data: { agent: string; code: string; event: unknown } };

export interface InvalidateMessage {
  customerId: string;
  /** Absent: the customer's own settings changed. */
  agentId?: string;
}
