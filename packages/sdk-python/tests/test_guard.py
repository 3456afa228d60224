"""guard_openai / guard_anthropic with fake provider clients (the only test doubles) against the real server."""

from __future__ import annotations

import unittest
from types import SimpleNamespace
from typing import Any, Dict, List

from _support import admin, agent_spend, client, create_agent, require_server, unique

from spendguard import BudgetExceededError, LoopDetectedError, guard_anthropic, guard_openai
from spendguard.guard import estimate_input_tokens, utf8_bytes


class FakeUsage:
    """Looks like the openai/anthropic packages' pydantic usage objects."""

    def __init__(self, **fields: Any) -> None:
        self._fields = fields

    def model_dump(self) -> Dict[str, Any]:
        return dict(self._fields)


class FakeOpenAI:
    def __init__(self, fail: bool = False) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.fail = fail
        self.api_key = "sk-fake"
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self._create))

    def _create(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if self.fail:
            raise ConnectionError("provider down")
        return SimpleNamespace(
            id="chatcmpl-1",
            choices=[SimpleNamespace(message=SimpleNamespace(role="assistant", content="Hi!"))],
            usage=FakeUsage(
                prompt_tokens=20, completion_tokens=5, total_tokens=25, prompt_tokens_details=None
            ),
        )


class FakeAnthropic:
    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.messages = SimpleNamespace(create=self._create, count_tokens=lambda **kw: 1)

    def _create(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        return {
            "id": "msg_1",
            "content": [{"type": "text", "text": "Hello"}],
            "usage": {"input_tokens": 30, "output_tokens": 7, "cache_read_input_tokens": 0},
        }


def events_of(agent: str) -> List[Dict[str, Any]]:
    status, body = admin("GET", f"/v1/events?agent={agent}")
    assert status == 200, body
    return list(body["data"])


def reservations_of(agent: str) -> List[Dict[str, Any]]:
    status, body = admin("GET", f"/v1/reservations?agent={agent}")
    assert status == 200, body
    return list(body["data"])


class GuardOpenAITest(unittest.TestCase):
    def setUp(self) -> None:
        require_server(self)
        self.sg = client()

    def test_holds_calls_and_commits_the_reported_usage(self) -> None:
        agent = unique("oai")
        fake = FakeOpenAI()
        guarded = guard_openai(fake, agent=agent, spendguard=self.sg, run="run-1")
        response = guarded.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hi"}], max_tokens=50
        )
        self.assertEqual(response.id, "chatcmpl-1")
        self.assertEqual(fake.calls[0]["model"], "gpt-4o-mini")
        self.assertEqual(guarded.api_key, "sk-fake")  # everything else passes through
        [event] = events_of(agent)
        self.assertEqual(event["usage"]["input_tokens"], 20)
        self.assertEqual(event["usage"]["output_tokens"], 5)
        self.assertGreater(event["cost_micros"], 0)
        self.assertEqual(agent_spend(agent), event["cost_micros"])
        [reservation] = reservations_of(agent)
        self.assertEqual(reservation["status"], "committed")

    def test_a_failed_call_releases_the_hold_and_raises_the_providers_error(self) -> None:
        agent = unique("oai-fail")
        guarded = guard_openai(FakeOpenAI(fail=True), agent=agent, spendguard=self.sg)
        with self.assertRaises(ConnectionError):
            guarded.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
        [reservation] = reservations_of(agent)
        self.assertEqual(reservation["status"], "released")
        self.assertEqual(agent_spend(agent), 0)

    def test_a_decline_never_calls_the_provider(self) -> None:
        agent = unique("oai-decline")
        create_agent(agent, {"month_micros": 1})
        fake = FakeOpenAI()
        guarded = guard_openai(fake, agent=agent, spendguard=self.sg)
        with self.assertRaises(BudgetExceededError):
            guarded.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
        self.assertEqual(fake.calls, [])

    def test_the_default_fingerprint_stops_a_loop(self) -> None:
        agent = unique("oai-loop")
        create_agent(agent, {"repeats": {"max": 2, "window_seconds": 600}})
        fake = FakeOpenAI()
        guarded = guard_openai(fake, agent=agent, spendguard=self.sg)
        ask = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "same again"}]}
        guarded.chat.completions.create(**ask)
        guarded.chat.completions.create(**ask)
        with self.assertRaises(LoopDetectedError):
            guarded.chat.completions.create(**ask)
        self.assertEqual(len(fake.calls), 2)

    def test_streams_are_refused(self) -> None:
        guarded = guard_openai(FakeOpenAI(), agent=unique("oai-stream"), spendguard=self.sg)
        with self.assertRaises(NotImplementedError):
            guarded.chat.completions.create(model="gpt-4o-mini", messages=[], stream=True)


class GuardAnthropicTest(unittest.TestCase):
    def setUp(self) -> None:
        require_server(self)
        self.sg = client()

    def test_holds_calls_and_commits_the_reported_usage(self) -> None:
        agent = unique("claude")
        fake = FakeAnthropic()
        guarded = guard_anthropic(fake, agent=agent, spendguard=self.sg)
        response = guarded.messages.create(
            model="claude-sonnet-4-5", system="Be brief.", max_tokens=100,
            messages=[{"role": "user", "content": "Hello"}],
        )
        self.assertEqual(response["id"], "msg_1")
        self.assertEqual(guarded.messages.count_tokens(), 1)
        [event] = events_of(agent)
        self.assertEqual(event["usage"]["output_tokens"], 7)
        self.assertGreater(event["cost_micros"], 0)
        self.assertEqual(agent_spend(agent), event["cost_micros"])


class EstimateTest(unittest.TestCase):
    def test_input_estimate_over_counts(self) -> None:
        messages = [{"role": "user", "content": "héllo"}, {"role": "user", "content": [
            {"type": "text", "text": "abc"}, {"type": "image_url", "image_url": {"url": "data:..."}}]}]
        # "héllo\nabc" is 10 UTF-8 bytes; 2 messages × 4; 3 per request; one image.
        self.assertEqual(estimate_input_tokens(messages, 2, [], "m", utf8_bytes), 10 + 8 + 3 + 1600)


if __name__ == "__main__":
    unittest.main()
