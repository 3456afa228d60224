"""One HTTP call to Spendguard with a per-attempt timeout and safe retries.

The idempotency key is fixed before the first attempt and sent unchanged on every retry, which is what makes
retrying a money-moving POST safe: the server counts a key at most once.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import random
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from .errors import SpendguardError, UnavailableError, error_from_response

#: First backoff ceiling in seconds; doubles on every retry ("full jitter").
DEFAULT_RETRY_BASE_DELAY = 0.25
#: Longest single wait between attempts; a longer ``Retry-After`` is not waited for.
DEFAULT_RETRY_MAX_DELAY = 8.0


def parse_retry_after(header: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date), or None when absent or unreadable."""
    if header is None:
        return None
    text = header.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    # An HTTP date always names the day and month; anything else (e.g. "-1") is garbage.
    if not re.search(r"[A-Za-z]", text):
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    return max(0.0, parsed.timestamp() - (time.time() if now is None else now))


def retry_delay(
    retry: int,
    retry_after: Optional[float],
    base_delay: float,
    max_delay: float,
    rand: Callable[[], float] = random.random,
) -> Optional[float]:
    """Seconds to wait before retry number ``retry`` (from 0): the server's ``Retry-After`` when it gave one,
    else a uniformly random wait in [0, min(max_delay, base_delay * 2**retry)). None when the server asks for
    more than ``max_delay`` — better to fail now than to block an agent for minutes."""
    if retry_after is not None:
        return None if retry_after > max_delay else retry_after
    ceiling: float = min(max_delay, base_delay * (2.0 ** max(0, retry)))
    return rand() * ceiling


def is_retryable(status: int, code: Optional[str]) -> bool:
    """Network errors and timeouts (status 0), 429, 5xx and 409 ``idempotency_key_in_flight`` are retried;
    every other 4xx is a final decision."""
    if status == 0 or status == 429 or status >= 500:
        return True
    return status == 409 and code == "idempotency_key_in_flight"


class Transport:
    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout: float,
        max_retries: int,
        retry_base_delay: float,
        retry_max_delay: float,
        user_agent: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_base_delay = retry_base_delay
        self.retry_max_delay = retry_max_delay
        self.user_agent = user_agent
        self.sleep = sleep

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Optional[Mapping[str, Any]] = None,
        query: Optional[Mapping[str, Any]] = None,
        idempotency_key: Optional[str] = None,
    ) -> Any:
        """Sends the request, retrying what is safe to retry; returns the parsed JSON of a 2xx or raises."""
        data = None if body is None else json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
        url = self.base_url + path
        if query:
            items = {k: str(v) for k, v in query.items() if v is not None}
            if items:
                url += "?" + urllib.parse.urlencode(items)
        retry = 0
        while True:
            ok, result, error = self._attempt(method, url, data, idempotency_key)
            if ok:
                return result
            assert error is not None
            delay: Optional[float] = None
            if retry < self.max_retries and is_retryable(error.status, error.code):
                delay = retry_delay(retry, error.retry_after, self.retry_base_delay, self.retry_max_delay)
            if delay is None:
                raise error
            self.sleep(delay)
            retry += 1

    def _headers(self, has_body: bool, idempotency_key: Optional[str]) -> Dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "User-Agent": self.user_agent,
        }
        if has_body:
            headers["Content-Type"] = "application/json"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def _attempt(
        self, method: str, url: str, data: Optional[bytes], idempotency_key: Optional[str]
    ) -> Tuple[bool, Any, Optional[SpendguardError]]:
        req = urllib.request.Request(
            url, data=data, method=method, headers=self._headers(data is not None, idempotency_key)
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                text = response.read()
                return True, _parse(text), None
        except urllib.error.HTTPError as http_error:
            try:
                text = http_error.read()
            except (OSError, http.client.HTTPException):
                text = b""
            headers = http_error.headers
            retry_after = parse_retry_after(headers.get("Retry-After") if headers is not None else None)
            request_id = headers.get("X-Request-Id") if headers is not None else None
            return False, None, error_from_response(http_error.code, _parse(text), request_id, retry_after)
        except (socket.timeout, TimeoutError) as timeout_error:
            return False, None, UnavailableError(
                f"Spendguard did not answer within {self.timeout} s ({timeout_error})",
                status=0,
                code="timeout",
            )
        except (OSError, http.client.HTTPException) as network_error:
            reason = getattr(network_error, "reason", network_error)
            if isinstance(reason, (socket.timeout, TimeoutError)):
                return False, None, UnavailableError(
                    f"Spendguard did not answer within {self.timeout} s", status=0, code="timeout"
                )
            return False, None, UnavailableError(
                f"could not reach Spendguard at {self.base_url}: {reason!s}",
                status=0,
                code="network_error",
            )


def _parse(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
