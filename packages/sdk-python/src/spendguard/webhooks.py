"""Verifying Spendguard's webhook deliveries (docs/api.md §13, docs/operations.md "Webhooks").

Each delivery carries ``Spendguard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``;
the secret is the endpoint's ``whsec_…`` string exactly as the create call returned it (UTF-8). Verify the RAW body
(the bytes received, before any JSON parsing): re-serialised JSON differs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from typing import Any, Dict, Optional, Union

from .errors import WebhookVerificationError

#: How far the signed time may be from this machine's clock, by default.
WEBHOOK_TOLERANCE_SECONDS = 300

_HEX64 = re.compile(r"[0-9a-f]{64}")


def verify_webhook(
    raw_body: Union[bytes, bytearray, str],
    header: Optional[str],
    secret: str,
    tolerance_seconds: float = WEBHOOK_TOLERANCE_SECONDS,
    now: Optional[float] = None,
) -> Dict[str, Any]:
    """The alert (``{"id", "type", "created_at", "data"}``) of a delivery whose ``Spendguard-Signature`` header
    signs ``raw_body`` with ``secret``; raises ``WebhookVerificationError`` otherwise (missing or malformed header,
    a ``t`` more than ``tolerance_seconds`` from ``now`` — default this machine's clock — or no ``v1`` matching).
    Several ``v1`` values (a secret rotation) are accepted if any matches; comparison is constant-time.
    Deduplicate on the event ``id``: a retried delivery carries the same id and bytes."""
    if not header:
        raise WebhookVerificationError("The Spendguard-Signature header is missing.")
    body = raw_body.encode("utf-8") if isinstance(raw_body, str) else bytes(raw_body)
    pairs = [tuple(p.strip() for p in part.split("=", 1)) for part in header.split(",") if "=" in part]
    timestamps = [v for k, v in pairs if k == "t"]
    if not timestamps or not timestamps[0].isdigit():
        raise WebhookVerificationError("The signature has no valid timestamp (t=).")
    t = int(timestamps[0])
    current = time.time() if now is None else now
    if abs(current - t) > tolerance_seconds:
        raise WebhookVerificationError(
            "The signature timestamp is outside the tolerance (a replay, or a wrong clock)."
        )
    expected = hmac.new(secret.encode("utf-8"), f"{t}.".encode("ascii") + body, hashlib.sha256).hexdigest()
    matches = False
    for k, v in pairs:
        # Every candidate is compared (no early exit), each in constant time.
        if k == "v1" and _HEX64.fullmatch(v) and hmac.compare_digest(v, expected):
            matches = True
    if not matches:
        raise WebhookVerificationError("The signature does not match this body and secret.")
    try:
        event = json.loads(body)
    except ValueError as error:
        raise WebhookVerificationError("The signed body is not JSON.") from error
    if not isinstance(event, dict):
        raise WebhookVerificationError("The signed body is not a JSON object.")
    return event
