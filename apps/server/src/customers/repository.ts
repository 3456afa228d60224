// SQL for a customer's budget settings.
import { limitsFromJson } from '../agents/limits.js';
import { int8Of, type Queryable } from '../db/types.js';
import type { AgentLimits } from '../spend/store.js';

export interface CustomerSettings {
  id: string;
  name: string;
  /** customers.state_version: bumped by every settings change, so the spend store keeps the newest limit. */
  version: number;
  monthLimitMicros: number | null;
  defaultAgentLimits: AgentLimits;
  autoCreateAgents: boolean;
  /** The output tokens a gateway call that names no maximum is estimated at (docs/api.md §12), 1..1,000,000. */
  gatewayDefaultMaxOutputTokens: number;
  /** The percentages of a limit at which budget.threshold alerts fire (docs/api.md §13); [] = none. */
  alertThresholdsPercent: number[];
}

interface CustomerRow {
  id: string;
  name: string;
  state_version: unknown;
  month_limit_micros: number | null;
  default_agent_limits: unknown;
  auto_create_agents: boolean;
  gateway_default_max_output_tokens: number;
  alert_thresholds_percent: number[];
}

function toSettings(row: CustomerRow): CustomerSettings {
  const defaults =
    typeof row.default_agent_limits === 'string'
      ? JSON.parse(row.default_agent_limits)
      : row.default_agent_limits;
  return {
    id: row.id,
    name: row.name,
    version: int8Of(row.state_version),
    monthLimitMicros: row.month_limit_micros,
    defaultAgentLimits: limitsFromJson(defaults),
    autoCreateAgents: row.auto_create_agents,
    gatewayDefaultMaxOutputTokens: row.gateway_default_max_output_tokens,
    alertThresholdsPercent: row.alert_thresholds_percent,
  };
}

/** `lock`: FOR UPDATE (a change of the settings) or FOR SHARE (a decision that must see the latest change). */
export async function loadCustomer(
  q: Queryable,
  customerId: string,
  lock: 'update' | 'share' | null = null,
): Promise<CustomerSettings | null> {
  const { rows } = await q.query<CustomerRow>(
    `SELECT id, name, state_version, month_limit_micros, default_agent_limits, auto_create_agents,
            gateway_default_max_output_tokens, alert_thresholds_percent
     FROM customers WHERE id = $1
     ${lock === 'update' ? 'FOR UPDATE' : lock === 'share' ? 'FOR SHARE' : ''}`,
    [customerId],
  );
  return rows[0] ? toSettings(rows[0]) : null;
}

/** Saves the settings and bumps the version; returns the new version. */
export async function saveCustomer(
  q: Queryable,
  s: CustomerSettings,
  defaultsJson: unknown,
): Promise<number> {
  const { rows } = await q.query<{ state_version: unknown }>(
    `UPDATE customers SET month_limit_micros = $2, default_agent_limits = $3::jsonb, auto_create_agents = $4,
            gateway_default_max_output_tokens = $5, alert_thresholds_percent = $6::smallint[], state_version = state_version + 1, updated_at = now() WHERE id = $1
     RETURNING state_version`,
    [
      s.id,
      s.monthLimitMicros,
      JSON.stringify(defaultsJson),
      s.autoCreateAgents,
      s.gatewayDefaultMaxOutputTokens,
      s.alertThresholdsPercent,
    ],
  );
  return int8Of(rows[0]?.state_version);
}

/** Accepted spend of the customer in the UTC month starting at monthFirstDay ('2026-11-01'). */
export async function customerMonthSpend(
  q: Queryable,
  customerId: string,
  monthFirstDay: string,
): Promise<number> {
  const { rows } = await q.query<{ s: number }>(
    `SELECT coalesce(sum(spent_micros), 0)::bigint AS s FROM spend_daily WHERE customer_id = $1 AND day >= $2::date`,
    [customerId, monthFirstDay],
  );
  return rows[0]?.s ?? 0;
}
