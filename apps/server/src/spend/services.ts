// Budget engine services (spend store, group-commit writer, reconciler). Filled in by the budget engine work.

import type { AuthServices } from '../auth/services.js';
import type { BaseContext } from '../context.js';

// biome-ignore lint/complexity/noBannedTypes: placeholder until the budget engine lands
export type SpendServices = {};

export async function createSpendServices(
  _base: BaseContext & { auth: AuthServices },
): Promise<SpendServices> {
  return {};
}
