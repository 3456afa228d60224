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
export { type AnthropicLike, guardAnthropic } from './guard/anthropic.js';
export { guardOpenAI, type OpenAILike } from './guard/openai.js';
export type { GuardBackend, GuardHold, GuardLLMOptions, LLMRequest } from './guard/options.js';
export {
  DEFAULT_MAX_OUTPUT_TOKENS,
  MEDIA_PART_TOKENS,
  PER_MESSAGE_TOKENS,
  PER_REQUEST_TOKENS,
  type TokenCounter,
  utf8Bytes,
} from './guard/tokens.js';
export { AgentsApi, ApiKeysApi, ReservationsApi } from './management.js';
export { OfflineReservation, Reservation } from './reservation.js';
export { backoffDelayMs, parseRetryAfter, retryDelayMs } from './retry.js';
export type * from './types.js';
export {
  type VerifyWebhookOptions,
  verifyWebhook,
  WEBHOOK_TOLERANCE_SECONDS,
  type WebhookEvent,
  WebhookVerificationError,
} from './webhooks.js';
