"""Spendguard: a hard spend ceiling for AI agents. Python SDK, standard library only.

    from spendguard import Spendguard
    sg = Spendguard()  # SPENDGUARD_API_KEY, SPENDGUARD_URL
    sg.track("research-bot", cost_usd="0.0123")
"""

from .client import VERSION, Reservation, Spendguard, Usd, new_idempotency_key
from .errors import (
    AgentSuspendedError,
    AuthenticationError,
    BudgetExceededError,
    ConflictError,
    IdempotencyError,
    LoopDetectedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    SpendguardError,
    UnavailableError,
    UnknownModelError,
    ValidationError,
    WebhookVerificationError,
)
from .guard import guard_anthropic, guard_openai
from .webhooks import WEBHOOK_TOLERANCE_SECONDS, verify_webhook

__version__ = VERSION

__all__ = [
    "VERSION",
    "WEBHOOK_TOLERANCE_SECONDS",
    "AgentSuspendedError",
    "AuthenticationError",
    "BudgetExceededError",
    "ConflictError",
    "IdempotencyError",
    "LoopDetectedError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "Reservation",
    "Spendguard",
    "SpendguardError",
    "UnavailableError",
    "UnknownModelError",
    "Usd",
    "ValidationError",
    "WebhookVerificationError",
    "guard_anthropic",
    "guard_openai",
    "new_idempotency_key",
    "verify_webhook",
]
