// Response shapes of the Spendguard API (docs/api.md §5–§9) as far as the dashboard reads them.
// Fields the server may add are tolerated; optional ones are marked so.

export interface VelocityLimit {
  window_seconds: number;
  max_micros: number;
}

export interface Limits {
  month_micros: number | null;
  day_micros: number | null;
  run_micros: number | null;
  velocity: VelocityLimit | null;
}

export interface Spend {
  month_micros: number;
  day_micros: number;
  velocity_micros: number;
}

export type AgentStatus = 'active' | 'suspended';

export interface Agent {
  id: string;
  name: string;
  status: AgentStatus;
  suspended_reason: string | null;
  suspended_at: string | null;
  limits: Limits;
  spend: Spend;
  created_at: string;
  /** When its newest event was recorded; null before the first. */
  last_event_at: string | null;
}

export interface SpendEvent {
  id: string;
  agent: string;
  run: string | null;
  cost_micros: number;
  cost_usd: string;
  status: 'accepted' | 'declined';
  decline_code: string | null;
  metadata: Record<string, unknown> | null;
  occurred_at: string;
  recorded_at: string;
  idempotency_key: string;
}

export interface Reservation {
  id: string;
  agent: string;
  amount_micros: number;
  status: string;
  expires_at: string;
  created_at?: string;
}

export interface TimeseriesPoint {
  bucket_start: string;
  spent_micros: number;
  event_count: number;
}

export type Granularity = 'minute' | 'hour' | 'day';

export interface Timeseries {
  granularity: Granularity;
  data: TimeseriesPoint[];
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  kind: 'ingest' | 'admin';
  agent?: string | null;
  prefix: string;
  created_at?: string;
  last_used_at?: string | null;
  revoked_at?: string | null;
}

export interface CreatedApiKey extends ApiKey {
  key: string;
}

export interface Customer {
  id: string;
  name?: string;
  company?: string;
  limits: { month_micros: number | null };
  default_agent_limits: Limits;
  auto_create_agents: boolean;
  spend?: { month_micros: number };
}

export interface User {
  id: string;
  email: string;
}

export interface Session {
  user: User;
  customer: Customer | { id: string; name?: string };
  csrf_token: string;
}

/** One audit record; the dashboard shows unknown shapes generically, so most fields are optional. */
export interface AuditEntry {
  id: string;
  action?: string;
  actor?: unknown;
  target?: unknown;
  before?: unknown;
  after?: unknown;
  created_at?: string;
  at?: string;
  occurred_at?: string;
  [field: string]: unknown;
}

/** Payloads of the Server-Sent Events of GET /v1/stream. */
export interface StreamSpend {
  agent: string;
  spend: Spend;
  event?: SpendEvent;
}

export interface StreamDeclined {
  agent: string;
  code: string;
  event?: SpendEvent;
}
