// @spendguard/sdk — public entry point.
export { isUnavailable, type ReserveResult, Spendguard, type SpendguardOptions, VERSION } from './client.js';
export {
  AgentSuspendedError,
  AuthenticationError,
  BudgetExceededError,
  type BudgetPeriod,
  type BudgetScope,
  ConflictError,
  type ErrorEnvelope,
  errorFromResponse,
  IdempotencyError,
  LoopDetectedError,
  NotFoundError,
  PermissionError,
  RateLimitedError,
  SpendguardError,
  type SuspensionReason,
  UnavailableError,
  UnknownModelError,
  type ValidationDetail,
  ValidationError,
} from './errors.js';
export { AgentsApi, ApiKeysApi, ReservationsApi } from './management.js';
export { OfflineReservation, Reservation } from './reservation.js';
export { backoffDelayMs, parseRetryAfter, retryDelayMs } from './retry.js';
export type * from './types.js';
