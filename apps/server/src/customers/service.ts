// GET/PATCH /v1/customer (docs/api.md §8): the customer's monthly limit, the defaults new agents get, and whether unknown
// agents are created on their first event. A PATCH is one transaction with its audit entry (bumping the customer's
// state_version), then written through to the spend store, which keeps the newest version: the very next decision on
// every instance uses the new monthly limit, and no older write can bring the old one back.
import type { Static } from 'typebox';
import type { AgentDirectory } from '../agents/directory.js';
import { applyLimits, type LimitsPatch, limitsToJson } from '../agents/limits.js';
import { recordAudit } from '../audit.js';
import type { Principal } from '../auth/types.js';
import { formatUsd } from '../budget/money.js';
import { dayKey, monthResetsAt, monthStart } from '../budget/periods.js';
import type { Db } from '../db/types.js';
import { ApiError, notFound } from '../http/errors.js';
import type { CustomerSchema } from '../schemas/agents.js';
import type { SpendStore } from '../spend/store.js';
import { rearmThresholds } from '../webhooks/thresholds.js';
import { type CustomerSettings, customerMonthSpend, loadCustomer, saveCustomer } from './repository.js';

/** The customer object of responses, as the Customer schema declares it. */
export type CustomerJson = Static<typeof CustomerSchema>;

export interface CustomerPatch {
  /** undefined = unchanged, null = no limit. */
  monthLimitMicros?: number | null;
  defaults?: LimitsPatch;
  autoCreateAgents?: boolean;
  gatewayDefaultMaxOutputTokens?: number;
  /** Checked by the route's schema (integers 1–100, unique, at most 10); stored sorted. */
  alertThresholdsPercent?: number[];
}

export interface CustomerService {
  get(customerId: string): Promise<CustomerJson>;
  update(actor: Principal, patch: CustomerPatch): Promise<CustomerJson>;
}

const usd = (micros: number | null) => (micros === null ? null : formatUsd(micros));

function settingsJson(s: CustomerSettings) {
  return {
    month_limit_micros: s.monthLimitMicros,
    default_agent_limits: limitsToJson(s.defaultAgentLimits),
    auto_create_agents: s.autoCreateAgents,
    gateway_default_max_output_tokens: s.gatewayDefaultMaxOutputTokens,
    alert_thresholds_percent: s.alertThresholdsPercent,
  };
}

export function createCustomerService(deps: {
  db: Db;
  store: SpendStore;
  directory: AgentDirectory;
}): CustomerService {
  const { db, store, directory } = deps;

  const present = async (s: CustomerSettings): Promise<CustomerJson> => {
    const now = Date.now();
    const spent = await customerMonthSpend(db, s.id, dayKey(monthStart(now)));
    return {
      id: s.id,
      name: s.name,
      limits: { month_micros: s.monthLimitMicros, month_usd: usd(s.monthLimitMicros) },
      default_agent_limits: limitsToJson(s.defaultAgentLimits),
      auto_create_agents: s.autoCreateAgents,
      gateway_default_max_output_tokens: s.gatewayDefaultMaxOutputTokens,
      alert_thresholds_percent: s.alertThresholdsPercent,
      spend: { month_micros: spent, resets_at: new Date(monthResetsAt(now)).toISOString() },
    };
  };

  return {
    async get(customerId) {
      const settings = await loadCustomer(db, customerId);
      if (!settings) throw notFound('customer');
      return present(settings);
    },

    async update(actor, patch) {
      const thresholds = patch.alertThresholdsPercent;
      const after = await db.transaction(async (tx) => {
        const before = await loadCustomer(tx, actor.customerId, 'update');
        if (!before) throw notFound('customer');
        const next: CustomerSettings = {
          ...before,
          monthLimitMicros:
            patch.monthLimitMicros !== undefined ? patch.monthLimitMicros : before.monthLimitMicros,
          defaultAgentLimits: patch.defaults
            ? applyLimits(before.defaultAgentLimits, patch.defaults)
            : before.defaultAgentLimits,
          autoCreateAgents: patch.autoCreateAgents ?? before.autoCreateAgents,
          gatewayDefaultMaxOutputTokens:
            patch.gatewayDefaultMaxOutputTokens ?? before.gatewayDefaultMaxOutputTokens,
          alertThresholdsPercent: thresholds
            ? [...thresholds].sort((a, b) => a - b)
            : before.alertThresholdsPercent,
        };
        next.version = await saveCustomer(tx, next, limitsToJson(next.defaultAgentLimits));
        await recordAudit(tx, {
          customerId: actor.customerId,
          actor,
          action: 'customer.update',
          targetType: 'customer',
          targetId: actor.customerId,
          before: settingsJson(before),
          after: settingsJson(next),
        });
        if (next.monthLimitMicros !== before.monthLimitMicros) {
          await rearmThresholds(tx, actor.customerId, null, Date.now());
        }
        return next;
      });
      await directory.invalidate({ customerId: after.id });
      try {
        await store.putCustomerState({
          customerId: after.id,
          version: after.version,
          monthLimitMicros: after.monthLimitMicros,
        });
      } catch {
        // Saved in PostgreSQL; the store keeps the older limit until a retry or the reconciler (≤ one period).
        throw new ApiError(
          'unavailable',
          'The change is saved but could not reach the spend store yet; retry it to make sure it is in force.',
          {},
          1,
        );
      }
      return present(after);
    },
  };
}
