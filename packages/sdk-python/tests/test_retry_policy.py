"""The retry policy's pure functions (no server needed)."""

from __future__ import annotations

import unittest

from spendguard._transport import is_retryable, parse_retry_after, retry_delay
from spendguard.errors import (
    IdempotencyError,
    UnavailableError,
    ValidationError,
    error_from_response,
)


class RetryPolicyTest(unittest.TestCase):
    def test_what_is_retried(self) -> None:
        self.assertTrue(is_retryable(0, "network_error"))
        self.assertTrue(is_retryable(503, "unavailable"))
        self.assertTrue(is_retryable(429, "rate_limited"))
        self.assertTrue(is_retryable(409, "idempotency_key_in_flight"))
        for status, code in [(400, "invalid_request"), (401, "unauthenticated"), (403, "budget_exceeded"),
                             (409, "conflict"), (422, "idempotency_key_reused"), (404, "not_found")]:
            self.assertFalse(is_retryable(status, code), code)

    def test_retry_after(self) -> None:
        self.assertEqual(parse_retry_after("2"), 2.0)
        self.assertEqual(parse_retry_after("0.5"), 0.5)
        self.assertIsNone(parse_retry_after("-1"))
        self.assertIsNone(parse_retry_after(None))
        self.assertIsNone(parse_retry_after("soon"))
        self.assertEqual(parse_retry_after("Thu, 01 Jan 1970 00:00:10 GMT", now=4.0), 6.0)
        self.assertEqual(retry_delay(0, 2.0, 0.25, 8.0), 2.0)
        self.assertIsNone(retry_delay(0, 30.0, 0.25, 8.0))
        self.assertEqual(retry_delay(3, None, 0.25, 8.0, lambda: 0.5), 1.0)
        self.assertEqual(retry_delay(10, None, 0.25, 8.0, lambda: 0.5), 4.0)

    def test_error_classes(self) -> None:
        in_flight = error_from_response(
            409, {"error": {"code": "idempotency_key_in_flight", "message": "later"}}, "req-1", 1.0
        )
        self.assertIsInstance(in_flight, IdempotencyError)
        self.assertEqual((in_flight.request_id, in_flight.retry_after), ("req-1", 1.0))
        self.assertIsInstance(error_from_response(502, "<html>", None, None), UnavailableError)
        invalid = error_from_response(
            400,
            {"error": {"code": "invalid_request", "message": "The request is invalid.",
                       "details": [{"field": "cost_usd", "problem": "must be >= 0"}, {"field": "x", "problem": "y"}]}},
            None,
            None,
        )
        self.assertIsInstance(invalid, ValidationError)
        self.assertEqual(str(invalid), "The request is invalid: cost_usd: must be >= 0 (and 1 more)")


if __name__ == "__main__":
    unittest.main()
