// Settling a gateway call's hold (docs/api.md §12): commit the real cost — from the usage the provider reported, else
// from what was counted of a stream that stopped early — or release it when the provider charged nothing. The
// provider has already been paid at this point, so a commit that meets a Spendguard outage is retried in the
// background (commits are idempotent per reservation) instead of being given up; while it retries, the hold keeps the
// estimate counted, which is never less than the call cost.
import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from '../auth/types.js';
import type { Db } from '../db/types.js';
import { ApiError } from '../http/errors.js';
import { costOfUsageFor, type UsageCost, type UsageInput } from '../pricing/usage-cost.js';
import type { ReservationServices } from '../reservations/service.js';
import { sleep } from '../spend/idempotent-request.js';

/** Waits between commit attempts: about a minute in all, then the failure is logged and the hold left to expire. */
const RETRY_DELAYS_MS = [100, 200, 400, 800, 1_600, 3_200, 5_000, 10_000, 15_000, 25_000];

export interface Settlement {
  costMicros: number;
  pricing: UsageCost['pricing'] | null;
}

const retryable = (status: number) => status === 503 || status === 409;

/** The status a money service answered, an ApiError's status, or 503 for anything else (an outage). */
async function statusOf(step: () => Promise<{ status: number }>): Promise<number> {
  try {
    return (await step()).status;
  } catch (error) {
    return error instanceof ApiError ? error.status : 503;
  }
}

/** Runs `step` until it answers `done`, or answers something not worth retrying, or the delays run out: its last status. */
async function retried(step: () => Promise<number>, done: (status: number) => boolean): Promise<number> {
  for (let i = 0; ; i++) {
    const status = await step();
    const delay = RETRY_DELAYS_MS[i];
    if (done(status) || !retryable(status) || delay === undefined) return status;
    await sleep(delay);
  }
}

export function createSettler(deps: { db: Db; reservations: ReservationServices; log: FastifyBaseLogger }) {
  /** The first usage that prices: the provider's own, at the model it reports, then at the model asked for, then the
   * counts of a stream cut short; none (a model nobody prices any more): the held estimate — never $0. */
  const price = async (
    customerId: string,
    candidates: UsageInput[],
    at: number,
  ): Promise<{ settlement: Settlement; usage: UsageInput } | null> => {
    for (const usage of candidates) {
      try {
        const { costMicros, pricing } = await costOfUsageFor(deps.db, customerId, usage, at);
        return { settlement: { costMicros, pricing }, usage };
      } catch (error) {
        if (!(error instanceof ApiError) || error.status >= 500) throw error;
      }
    }
    return null;
  };

  const attempt = (
    principal: Principal,
    reservationId: string,
    settlement: Settlement,
    request: UsageInput | null,
    metadata: Record<string, unknown>,
  ): Promise<number> =>
    statusOf(() =>
      deps.reservations.commit(
        principal,
        reservationId,
        {
          costMicros: settlement.costMicros,
          priced: settlement.pricing && request ? { request, pricing: settlement.pricing } : null,
          metadata,
        },
        Date.now(),
      ),
    );

  return {
    /**
     * Commits the call; resolves with the cost once recorded, or null when it could not be recorded within `waitMs`
     * (it keeps trying in the background).
     */
    async commit(args: {
      principal: Principal;
      reservationId: string;
      candidates: UsageInput[];
      heldMicros: number;
      metadata: Record<string, unknown>;
      waitMs: number;
    }): Promise<Settlement | null> {
      let priced: { settlement: Settlement; usage: UsageInput | null } | undefined;
      const run = retried(
        async () => {
          try {
            // Priced once (PostgreSQL may be the thing that is down, so inside the retries); no candidate prices: the
            // held estimate is recorded — never $0, never less than the hold assumed.
            priced ??= (await price(args.principal.customerId, args.candidates, Date.now())) ?? {
              settlement: { costMicros: args.heldMicros, pricing: null },
              usage: null,
            };
          } catch {
            return 503;
          }
          return attempt(args.principal, args.reservationId, priced.settlement, priced.usage, args.metadata);
        },
        (status) => status === 201,
      ).then((status) => {
        if (status === 201) return true;
        deps.log.error(
          { reservation: args.reservationId, status, cost_micros: priced?.settlement.costMicros },
          'gateway commit failed: the hold keeps the estimate counted until it expires',
        );
        return false;
      });
      const first = await Promise.race([run, sleep(args.waitMs).then(() => 'late' as const)]);
      return first === true && priced ? priced.settlement : null;
    },

    /** Gives the hold back (the provider answered an error without usage). Retried like a commit. */
    async release(principal: Principal, reservationId: string): Promise<void> {
      await retried(
        () => statusOf(() => deps.reservations.release(principal, reservationId)),
        (status) => status < 300,
      );
    },
  };
}

export type Settler = ReturnType<typeof createSettler>;
