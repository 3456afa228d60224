// The reservation services (docs/api.md §6), built from the app's budget engine (spend/services.ts): hold, commit,
// release and reads share its store, group-commit writer, agent directory and bus.
import type { AppContext } from '../context.js';
import { createCommitService } from './commit.js';
import { createHoldService } from './hold.js';
import { createReleaseService } from './release.js';
import type { ReservationDeps } from './types.js';

export function createReservationServices(ctx: AppContext) {
  const deps: ReservationDeps = ctx.spend.moneyPath;
  return {
    ...createHoldService(deps),
    ...createCommitService(deps),
    ...createReleaseService(deps),
  };
}

export type ReservationServices = ReturnType<typeof createReservationServices>;
