"""track / reserve / typed errors / retries, against the real server."""

from __future__ import annotations

import socket
import time
import unittest
from decimal import Decimal

from _support import FaultProxy, admin, agent_spend, client, create_agent, require_server, unique

from spendguard import (
    AgentSuspendedError,
    AuthenticationError,
    BudgetExceededError,
    LoopDetectedError,
    Reservation,
    Spendguard,
    SpendguardError,
    UnavailableError,
    ValidationError,
)


class TrackTest(unittest.TestCase):
    def setUp(self) -> None:
        require_server(self)
        self.sg = client()

    def test_track_cost_usd_string_decimal_int_and_micros(self) -> None:
        agent = unique("track")
        first = self.sg.track(agent, cost_usd="0.0123", run="task-1", metadata={"model": "gpt-4o"})
        self.assertEqual(first["event"]["cost_micros"], 12300)
        self.assertEqual(first["event"]["cost_usd"], "0.012300")
        self.assertEqual(first["event"]["status"], "accepted")
        self.assertIn("agent", first["budget"])
        self.assertEqual(self.sg.track(agent, cost_usd=Decimal("0.0000005"))["event"]["cost_micros"], 1)
        self.assertEqual(self.sg.track(agent, cost_usd=1)["event"]["cost_micros"], 1_000_000)
        self.assertEqual(self.sg.track(agent, cost_micros=7)["event"]["cost_micros"], 7)
        self.assertEqual(agent_spend(agent), 12300 + 1 + 1_000_000 + 7)
        self.assertEqual(self.sg.agent(agent)["spend"]["month_micros"], 12300 + 1 + 1_000_000 + 7)

    def test_track_usage_is_priced_by_the_server(self) -> None:
        agent = unique("usage")
        result = self.sg.track(
            agent, usage={"provider": "openai", "model": "gpt-4o-mini", "input_tokens": 1000, "output_tokens": 100}
        )
        self.assertGreater(result["event"]["cost_micros"], 0)

    def test_floats_and_double_costs_are_refused_locally(self) -> None:
        with self.assertRaises(TypeError):
            self.sg.track("x", cost_usd=0.1)  # type: ignore[arg-type]
        with self.assertRaises(TypeError):
            self.sg.track("x", cost_usd="1", cost_micros=1)
        with self.assertRaises(TypeError):
            self.sg.track("x")

    def test_same_idempotency_key_counts_once(self) -> None:
        agent = unique("idem")
        a = self.sg.track(agent, cost_micros=500, idempotency_key="k-" + agent)
        b = self.sg.track(agent, cost_micros=500, idempotency_key="k-" + agent)
        self.assertEqual(a["event"]["id"], b["event"]["id"])
        self.assertEqual(agent_spend(agent), 500)
        # Without a key, each call gets its own: two calls, two events.
        self.sg.track(agent, cost_micros=500)
        self.sg.track(agent, cost_micros=500)
        self.assertEqual(agent_spend(agent), 1500)

    def test_defaults_come_from_the_environment(self) -> None:
        sg = Spendguard()
        self.assertTrue(sg.base_url.startswith("http://127.0.0.1:"))
        with self.assertRaises(ValueError):
            Spendguard(api_key="")


class ReserveTest(unittest.TestCase):
    def setUp(self) -> None:
        require_server(self)
        self.sg = client()

    def reservation(self, rid: str) -> dict:  # type: ignore[type-arg]
        status, body = admin("GET", f"/v1/reservations/{rid}")
        self.assertEqual(status, 200, body)
        return body["reservation"]  # type: ignore[no-any-return]

    def test_context_manager_commit(self) -> None:
        agent = unique("rsv")
        with self.sg.reserve(agent, amount_usd="0.50", metadata={"step": 1}) as hold:
            self.assertIsInstance(hold, Reservation)
            self.assertTrue(hold.id.startswith("rsv_"))
            self.assertEqual(hold.status, "held")
            self.assertIsNotNone(hold.expires_at)
            self.assertEqual(agent_spend(agent), 500_000)  # a live hold counts as spend until settled
            result = hold.commit(cost_usd="0.25", metadata={"tokens": 10})
        self.assertEqual(result["event"]["cost_micros"], 250_000)
        self.assertEqual(hold.status, "committed")
        self.assertEqual(self.reservation(hold.id)["status"], "committed")
        self.assertEqual(agent_spend(agent), 250_000)

    def test_context_manager_releases_on_exception(self) -> None:
        agent = unique("rsv-exc")
        with self.assertRaises(RuntimeError):
            with self.sg.reserve(agent, amount_micros=400_000, ttl_seconds=60) as hold:
                raise RuntimeError("the work failed")
        self.assertEqual(hold.status, "released")
        self.assertEqual(self.reservation(hold.id)["status"], "released")
        self.assertEqual(agent_spend(agent), 0)

    def test_context_manager_releases_when_not_committed(self) -> None:
        agent = unique("rsv-nocommit")
        with self.sg.reserve(agent, amount_micros=1000) as hold:
            pass
        self.assertEqual(self.reservation(hold.id)["status"], "released")

    def test_estimate_hold_and_usage_commit(self) -> None:
        agent = unique("rsv-est")
        hold = self.sg.reserve(
            agent,
            estimate={"provider": "openai", "model": "gpt-4o-mini", "input_tokens": 1000, "max_output_tokens": 500},
        )
        self.assertGreater(hold.amount_micros or 0, 0)
        result = hold.commit(
            usage={"provider": "openai", "model": "gpt-4o-mini", "input_tokens": 100, "output_tokens": 10}
        )
        self.assertGreater(result["event"]["cost_micros"], 0)
        self.assertEqual(agent_spend(agent), result["event"]["cost_micros"])


class ErrorsTest(unittest.TestCase):
    def setUp(self) -> None:
        require_server(self)
        self.sg = client()

    def test_suspended_agent(self) -> None:
        agent = unique("susp")
        create_agent(agent)
        status, body = admin("POST", f"/v1/agents/{agent}/suspend", {"note": "python sdk test"})
        self.assertEqual(status, 200, body)
        with self.assertRaises(AgentSuspendedError) as caught:
            self.sg.track(agent, cost_micros=1)
        e = caught.exception
        self.assertEqual((e.status, e.code, e.reason), (403, "agent_suspended", "manual"))
        self.assertIsNotNone(e.suspended_at)
        self.assertIsNotNone(e.request_id)
        self.assertIsInstance(e, SpendguardError)
        with self.assertRaises(AgentSuspendedError):
            self.sg.reserve(agent, amount_micros=1)

    def test_budget_exceeded(self) -> None:
        agent = unique("budget")
        create_agent(agent, {"month_usd": "1"})
        self.sg.track(agent, cost_usd="0.75")
        with self.assertRaises(BudgetExceededError) as caught:
            self.sg.track(agent, cost_usd="0.50")
        e = caught.exception
        self.assertEqual((e.status, e.code, e.scope, e.period), (403, "budget_exceeded", "agent", "month"))
        self.assertEqual(e.limit_micros, 1_000_000)
        self.assertEqual(e.spent_micros, 750_000)
        self.assertIsNotNone(e.resets_at)
        self.assertEqual(agent_spend(agent), 750_000)

    def test_loop_detected(self) -> None:
        agent = unique("loop")
        create_agent(agent, {"repeats": {"max": 2, "window_seconds": 600}})
        self.sg.track(agent, cost_micros=1, fingerprint="same-prompt")
        self.sg.track(agent, cost_micros=1, fingerprint="same-prompt")
        with self.assertRaises(LoopDetectedError) as caught:
            self.sg.track(agent, cost_micros=1, fingerprint="same-prompt")
        e = caught.exception
        self.assertEqual((e.status, e.code, e.fingerprint, e.count), (403, "loop_detected", "same-prompt", 3))
        # The kill switch flipped: the next call is refused as suspended.
        with self.assertRaises(AgentSuspendedError) as then:
            self.sg.track(agent, cost_micros=1, fingerprint="other")
        self.assertEqual(then.exception.reason, "loop_detected")

    def test_bad_key(self) -> None:
        with self.assertRaises(AuthenticationError) as caught:
            client(api_key="sg_ingest_" + "x" * 32).track(unique("auth"), cost_micros=1)
        self.assertEqual((caught.exception.status, caught.exception.code), (401, "unauthenticated"))

    def test_bad_input_names_the_problem(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            self.sg.track(unique("bad"), cost_usd="-1")
        e = caught.exception
        self.assertEqual((e.status, e.code), (400, "invalid_request"))
        self.assertTrue(e.details, e.body)
        self.assertIn(str(e.details[0]["field"]), str(e))
        self.assertIn("cost_usd", str(e))
        self.assertNotEqual(str(e).strip(), "The request is invalid.")
        with self.assertRaises(ValidationError) as bad_name:
            self.sg.track("not a valid name!", cost_micros=1)
        self.assertIn("agent", str(bad_name.exception))

    def test_unreachable_server_is_unavailable(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        sg = client(base_url=f"http://127.0.0.1:{port}", max_retries=2, retry_base_delay=0.01)
        with self.assertRaises(UnavailableError) as caught:
            sg.track(unique("down"), cost_micros=1)
        self.assertEqual((caught.exception.status, caught.exception.code), (0, "network_error"))

    def test_503_after_every_retry_is_unavailable(self) -> None:
        with FaultProxy([], default="503") as proxy:
            sg = client(base_url=proxy.url, max_retries=2)
            with self.assertRaises(UnavailableError) as caught:
                sg.track(unique("503"), cost_micros=1)
            self.assertEqual((caught.exception.status, caught.exception.code), (503, "unavailable"))
            keys = proxy.idempotency_keys()
            self.assertEqual(len(keys), 3)
            self.assertEqual(len(set(keys)), 1)
            self.assertIsNotNone(keys[0])


class RetryTest(unittest.TestCase):
    def setUp(self) -> None:
        require_server(self)

    def test_lost_response_is_retried_with_the_same_key_and_charged_once(self) -> None:
        agent = unique("lost")
        with FaultProxy(["drop"]) as proxy:
            sg = client(base_url=proxy.url)
            result = sg.track(agent, cost_usd="0.10")
            self.assertEqual(result["event"]["cost_micros"], 100_000)
            keys = proxy.idempotency_keys()
            self.assertEqual(len(keys), 2)
            self.assertEqual(keys[0], keys[1])
            # The server did the work the first time (its answer was dropped), then replayed it.
            self.assertIn(b" 201 ", proxy.upstream_answers[0].split(b"\r\n", 1)[0] + b" ")
            self.assertIn(b"idempotent-replayed: true", proxy.upstream_answers[1].lower())
        self.assertEqual(agent_spend(agent), 100_000)

    def test_lost_commit_response_is_charged_once(self) -> None:
        agent = unique("lost-commit")
        hold = client().reserve(agent, amount_usd="1")
        with FaultProxy(["drop"]) as proxy:
            via_proxy = client(base_url=proxy.url)
            Reservation(via_proxy, hold.response, None).commit(cost_usd="0.3")
            self.assertEqual(len(proxy.requests), 2)
        self.assertEqual(agent_spend(agent), 300_000)

    def test_503_is_retried_after_retry_after(self) -> None:
        agent = unique("retry-after")
        with FaultProxy(["503"], retry_after="1") as proxy:
            sg = client(base_url=proxy.url)
            started = time.monotonic()
            sg.track(agent, cost_micros=42)
            self.assertGreaterEqual(time.monotonic() - started, 0.95)
            keys = proxy.idempotency_keys()
            self.assertEqual(len(keys), 2)
            self.assertEqual(keys[0], keys[1])
        self.assertEqual(agent_spend(agent), 42)

    def test_a_retry_after_longer_than_the_max_delay_fails_at_once(self) -> None:
        with FaultProxy([], default="503", retry_after="60") as proxy:
            sg = client(base_url=proxy.url, retry_max_delay=2)
            started = time.monotonic()
            with self.assertRaises(UnavailableError) as caught:
                sg.track(unique("long-wait"), cost_micros=1)
            self.assertLess(time.monotonic() - started, 2)
            self.assertEqual(caught.exception.retry_after, 60)
            self.assertEqual(len(proxy.requests), 1)


if __name__ == "__main__":
    unittest.main()
