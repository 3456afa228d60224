// The reservation services (docs/api.md §6), built by the composition root (context.ts) from the money path the
// events use: hold, commit, release and reads share its store, group-commit writer, agent directory and bus.
import { createCommitService } from './commit.js';
import { createHoldService } from './hold.js';
import { createReleaseService } from './release.js';
import type { ReservationDeps } from './types.js';

export function createReservationServices(deps: ReservationDeps) {
  return {
    ...createHoldService(deps),
    ...createCommitService(deps),
    ...createReleaseService(deps),
  };
}

export type ReservationServices = ReturnType<typeof createReservationServices>;
