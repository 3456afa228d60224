"""The Spendguard client: report spend (``track``) and hold budget for calls whose cost is known only afterwards
(``reserve`` → ``Reservation``)."""

from __future__ import annotations

import logging
import os
import uuid
from decimal import Decimal
from types import TracebackType
from typing import Any, Dict, Mapping, Optional, Type, Union
from urllib.parse import quote

from ._transport import DEFAULT_RETRY_BASE_DELAY, DEFAULT_RETRY_MAX_DELAY, Transport

VERSION = "0.1.0"
DEFAULT_BASE_URL = "http://127.0.0.1:8787"

#: A USD amount: a decimal string (``"0.0123"``), a ``Decimal`` or an ``int``. Never a ``float``: binary floats
#: cannot hold most cents exactly, so the SDK refuses them rather than guess (use ``Decimal(str(x))``).
Usd = Union[str, Decimal, int]

logger = logging.getLogger("spendguard")


def _usd(value: Usd, name: str) -> str:
    """An amount as the exact decimal string the API takes; the server rounds half-up to micros."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(
            f"{name} must be a str, Decimal or int (got {type(value).__name__}); "
            f"floats are refused because they are inexact: pass Decimal(str(x)) or a string"
        )
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{name} must be finite")
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    raise TypeError(f"{name} must be a str, Decimal or int (got {type(value).__name__})")


def _micros(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int")
    return value


def _one_cost(
    cost_usd: Optional[Usd], cost_micros: Optional[int], usage: Optional[Mapping[str, Any]]
) -> Dict[str, Any]:
    given = [x for x in (cost_usd, cost_micros, usage) if x is not None]
    if len(given) != 1:
        raise TypeError("give exactly one of cost_usd, cost_micros or usage")
    if cost_usd is not None:
        return {"cost_usd": _usd(cost_usd, "cost_usd")}
    if cost_micros is not None:
        return {"cost_micros": _micros(cost_micros, "cost_micros")}
    assert usage is not None
    return {"usage": dict(usage)}


def _one_amount(
    amount_usd: Optional[Usd], amount_micros: Optional[int], estimate: Optional[Mapping[str, Any]]
) -> Dict[str, Any]:
    given = [x for x in (amount_usd, amount_micros, estimate) if x is not None]
    if len(given) != 1:
        raise TypeError("give exactly one of amount_usd, amount_micros or estimate")
    if amount_usd is not None:
        return {"amount_usd": _usd(amount_usd, "amount_usd")}
    if amount_micros is not None:
        return {"amount_micros": _micros(amount_micros, "amount_micros")}
    assert estimate is not None
    return {"estimate": dict(estimate)}


def _compact(body: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


class Reservation:
    """A hold the server granted. ``commit()`` the real cost, or ``release()`` it.

    As a context manager, ``with sg.reserve(...) as hold:`` gives the reservation and releases it on the way out
    unless it was committed — also when the block raises.
    """

    def __init__(self, client: "Spendguard", response: Mapping[str, Any], metadata: Optional[Mapping[str, Any]]):
        self._client = client
        #: The full ``201`` body of ``POST /v1/reservations`` (reservation and budget state).
        self.response: Dict[str, Any] = dict(response)
        record = self.response.get("reservation") or {}
        self.id: str = str(record.get("id"))
        self.agent: str = str(record.get("agent"))
        self.amount_micros: Optional[int] = record.get("amount_micros")
        #: ``held``, then ``committed`` / ``released`` / ``expired``.
        self.status: str = str(record.get("status", "held"))
        self.expires_at: Optional[str] = record.get("expires_at")
        self._metadata = dict(metadata) if metadata is not None else None

    @property
    def settled(self) -> bool:
        """True once committed or released."""
        return self.status in ("committed", "released")

    def commit(
        self,
        cost_usd: Optional[Usd] = None,
        *,
        cost_micros: Optional[int] = None,
        usage: Optional[Mapping[str, Any]] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Records the real cost (always recorded, even above the estimate — the money is spent) and returns the
        ``201`` body (``{"event": ..., "budget": ...}``). The metadata given to ``reserve()`` is sent here, with
        ``metadata`` merged over it. Committing twice replays the first result."""
        merged: Optional[Dict[str, Any]] = None
        if self._metadata is not None or metadata is not None:
            merged = {**(self._metadata or {}), **(metadata or {})}
        body = _compact({**_one_cost(cost_usd, cost_micros, usage), "metadata": merged})
        result: Dict[str, Any] = self._client._transport.request(
            "POST",
            f"/v1/reservations/{quote(self.id, safe='')}/commit",
            body=body,
            idempotency_key=idempotency_key or new_idempotency_key(),
        )
        self.status = "committed"
        return result

    def release(self) -> Dict[str, Any]:
        """Gives the held amount back to the budget; returns ``{"reservation": ...}`` (``status: released``)."""
        result: Dict[str, Any] = self._client._transport.request(
            "POST",
            f"/v1/reservations/{quote(self.id, safe='')}/release",
            body={},
            idempotency_key=new_idempotency_key(),
        )
        record = result.get("reservation") if isinstance(result, dict) else None
        self.status = str(record.get("status", "released")) if isinstance(record, dict) else "released"
        return result

    def __enter__(self) -> "Reservation":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        if self.settled:
            return
        if exc_type is None:
            self.release()
            return
        try:
            self.release()
        except Exception:  # the block's own error matters more; the hold expires by its TTL anyway
            logger.warning("spendguard: could not release reservation %s; it will expire by itself", self.id,
                           exc_info=True)

    def __repr__(self) -> str:
        return f"Reservation(id={self.id!r}, status={self.status!r}, expires_at={self.expires_at!r})"


class Spendguard:
    """A client of one Spendguard server.

    ``api_key`` defaults to ``$SPENDGUARD_API_KEY``, ``base_url`` to ``$SPENDGUARD_URL`` or
    ``http://127.0.0.1:8787``. ``timeout``: seconds per attempt. ``max_retries``: retries after the first attempt
    for network errors, timeouts, 5xx, 429 and ``409 idempotency_key_in_flight`` — always with the same
    idempotency key, waiting as ``Retry-After`` says, else a jittered exponential backoff.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        *,
        timeout: float = 10.0,
        max_retries: int = 3,
        retry_base_delay: float = DEFAULT_RETRY_BASE_DELAY,
        retry_max_delay: float = DEFAULT_RETRY_MAX_DELAY,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("SPENDGUARD_API_KEY")
        if not key:
            raise ValueError("Spendguard: api_key is required (or set SPENDGUARD_API_KEY)")
        url = base_url or os.environ.get("SPENDGUARD_URL") or DEFAULT_BASE_URL
        self.base_url: str = url.rstrip("/")
        self._transport = Transport(
            api_key=key,
            base_url=self.base_url,
            timeout=timeout,
            max_retries=max_retries,
            retry_base_delay=retry_base_delay,
            retry_max_delay=retry_max_delay,
            user_agent=f"spendguard-python/{VERSION}",
        )

    def track(
        self,
        agent: str,
        *,
        cost_usd: Optional[Usd] = None,
        cost_micros: Optional[int] = None,
        usage: Optional[Mapping[str, Any]] = None,
        run: Optional[str] = None,
        fingerprint: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Reports one cost-bearing action (``POST /v1/events``); returns the ``201`` body
        ``{"event": ..., "budget": ...}``. A decline raises ``BudgetExceededError`` / ``AgentSuspendedError`` /
        ``LoopDetectedError``. Give exactly one of ``cost_usd``, ``cost_micros`` or ``usage``."""
        body = _compact(
            {
                "agent": agent,
                **_one_cost(cost_usd, cost_micros, usage),
                "run": run,
                "fingerprint": fingerprint,
                "metadata": dict(metadata) if metadata is not None else None,
            }
        )
        result: Dict[str, Any] = self._transport.request(
            "POST", "/v1/events", body=body, idempotency_key=idempotency_key or new_idempotency_key()
        )
        return result

    def reserve(
        self,
        agent: str,
        *,
        amount_usd: Optional[Usd] = None,
        amount_micros: Optional[int] = None,
        estimate: Optional[Mapping[str, Any]] = None,
        run: Optional[str] = None,
        fingerprint: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        ttl_seconds: int = 300,
        idempotency_key: Optional[str] = None,
    ) -> Reservation:
        """Holds an estimate against every budget of the agent (``POST /v1/reservations``) until committed,
        released or expired (``ttl_seconds``, 1–3600). ``estimate`` is ``{"provider", "model", "input_tokens",
        "max_output_tokens"}``. ``metadata`` is kept locally and sent with the commit (a hold has none)."""
        body = _compact(
            {
                "agent": agent,
                **_one_amount(amount_usd, amount_micros, estimate),
                "ttl_seconds": ttl_seconds,
                "run": run,
                "fingerprint": fingerprint,
            }
        )
        result = self._transport.request(
            "POST", "/v1/reservations", body=body, idempotency_key=idempotency_key or new_idempotency_key()
        )
        return Reservation(self, result, metadata)

    def agent(self, name: str) -> Dict[str, Any]:
        """One agent's limits, live spend and kill-switch status (``GET /v1/agents/{name}``)."""
        result: Dict[str, Any] = self._transport.request("GET", f"/v1/agents/{quote(name, safe='')}")
        return result
