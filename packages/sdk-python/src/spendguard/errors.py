"""Typed errors for every failure the Spendguard API reports (docs/api.md §4).

Catch the class, not the code: ``except BudgetExceededError as e: e.period``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Type


class SpendguardError(Exception):
    """Base class of every error an API call raises.

    ``status`` is the HTTP status (0 when no response arrived: network error, timeout),
    ``code`` the machine-readable code, ``details`` the ``details`` list of a 400 (else ``[]``),
    ``request_id`` the ``X-Request-Id`` of the response (quote it when reporting a problem) and
    ``body`` the whole ``error`` object the server sent.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        request_id: Optional[str] = None,
        body: Optional[Mapping[str, Any]] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.message: str = message
        self.status: int = status
        self.code: str = code
        self.request_id: Optional[str] = request_id
        self.body: Dict[str, Any] = dict(body) if body is not None else {}
        raw_details = self.body.get("details")
        self.details: List[Dict[str, Any]] = (
            [d for d in raw_details if isinstance(d, dict)] if isinstance(raw_details, list) else []
        )
        #: Seconds the server asked to wait (``Retry-After``), when it said.
        self.retry_after: Optional[float] = retry_after

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, code={self.code!r}, message={self.message!r})"

    def _str(self, key: str) -> Optional[str]:
        value = self.body.get(key)
        return value if isinstance(value, str) else None

    def _int(self, key: str) -> Optional[int]:
        value = self.body.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None


class AgentSuspendedError(SpendguardError):
    """403 ``agent_suspended``: the agent's kill switch is on. Stop the agent's work."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        #: ``manual`` / ``budget_exceeded`` / ``velocity_exceeded`` / ``loop_detected``
        self.reason: Optional[str] = self._str("reason")
        self.suspended_at: Optional[str] = self._str("suspended_at")


class BudgetExceededError(SpendguardError):
    """403 ``budget_exceeded``: the spend would break a limit; nothing was counted."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.scope: Optional[str] = self._str("scope")
        self.period: Optional[str] = self._str("period")
        self.limit_micros: Optional[int] = self._int("limit_micros")
        self.spent_micros: Optional[int] = self._int("spent_micros")
        self.resets_at: Optional[str] = self._str("resets_at")


class LoopDetectedError(SpendguardError):
    """403 ``loop_detected``: one ``fingerprint`` repeated more often than the agent's ``repeats`` limit allows.

    The call was not counted and the agent's kill switch flipped (reason ``loop_detected``).
    """

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.fingerprint: Optional[str] = self._str("fingerprint")
        self.count: Optional[int] = self._int("count")
        self.window_seconds: Optional[int] = self._int("window_seconds")


class UnavailableError(SpendguardError):
    """Spendguard could not be reached or could not serve (network error, timeout, 5xx) after every retry."""


class AuthenticationError(SpendguardError):
    """401 ``unauthenticated``: missing, wrong or revoked API key."""


class PermissionDeniedError(SpendguardError):
    """403 ``forbidden`` / ``csrf_failed``: the key may not do this."""


class NotFoundError(SpendguardError):
    """404 ``not_found``: no such object for this customer."""


class ConflictError(SpendguardError):
    """409 ``conflict``: a unique name is taken (``field`` names it)."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.field: Optional[str] = self._str("field")


class IdempotencyError(SpendguardError):
    """422 ``idempotency_key_reused``, or 409 ``idempotency_key_in_flight`` still reported after every retry."""


class UnknownModelError(SpendguardError):
    """422 ``unknown_model``: no price is known for the provider + model; nothing was counted."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.provider: Optional[str] = self._str("provider")
        self.model: Optional[str] = self._str("model")


class RateLimitedError(SpendguardError):
    """429 ``rate_limited``, still reported after every retry."""


class ValidationError(SpendguardError):
    """400 ``invalid_request`` (also 413 / 415): the request itself is wrong.

    The message names the first problem of ``details`` (e.g. ``cost_usd: must be >= 0``).
    """

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        if self.details:
            first = self.details[0]
            field = first.get("field") or first.get("path") or first.get("name")
            problem = first.get("problem") or first.get("message") or first.get("error")
            described = ": ".join(str(part) for part in (field, problem) if part)
            if described:
                extra = f" (and {len(self.details) - 1} more)" if len(self.details) > 1 else ""
                self.message = f"{message.rstrip('.')}: {described}{extra}"
                self.args = (self.message,)


_BY_CODE: Dict[str, Type[SpendguardError]] = {
    "agent_suspended": AgentSuspendedError,
    "budget_exceeded": BudgetExceededError,
    "loop_detected": LoopDetectedError,
    "idempotency_key_reused": IdempotencyError,
    "idempotency_key_in_flight": IdempotencyError,
    "unauthenticated": AuthenticationError,
    "forbidden": PermissionDeniedError,
    "csrf_failed": PermissionDeniedError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "unknown_model": UnknownModelError,
    "rate_limited": RateLimitedError,
    "invalid_request": ValidationError,
    "payload_too_large": ValidationError,
    "unsupported_media_type": ValidationError,
    "unavailable": UnavailableError,
    "internal": UnavailableError,
}


def error_from_response(
    status: int, body: Any, request_id: Optional[str], retry_after: Optional[float]
) -> SpendguardError:
    """The matching error class for a non-2xx response (classified by status for codes this SDK does not know)."""
    envelope: Optional[Dict[str, Any]] = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        candidate = body["error"]
        if isinstance(candidate.get("code"), str):
            envelope = candidate
    if envelope is not None:
        code = str(envelope["code"])
        message = envelope.get("message")
        text = message if isinstance(message, str) else code
    else:
        code = "unavailable" if status == 503 else "internal" if status >= 500 else f"http_{status}"
        text = f"Spendguard responded with HTTP {status}"
    cls: Optional[Type[SpendguardError]] = _BY_CODE.get(code)
    if cls is None:
        if status >= 500:
            cls = UnavailableError
        elif status == 429:
            cls = RateLimitedError
        elif status == 401:
            cls = AuthenticationError
        elif status == 403:
            cls = PermissionDeniedError
        elif status == 404:
            cls = NotFoundError
        elif status in (400, 413, 415):
            cls = ValidationError
        else:
            cls = SpendguardError
    return cls(text, status=status, code=code, request_id=request_id, body=envelope, retry_after=retry_after)


class WebhookVerificationError(Exception):
    """The delivery is not from Spendguard, was altered, or is too old: answer it 400 and do not act on it."""
