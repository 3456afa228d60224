"""guard_openai / guard_anthropic with fake provider clients (the only test doubles) against the real server."""

from __future__ import annotations

import gc
import unittest
from types import SimpleNamespace
from typing import Any, Dict, Iterator, List, Optional

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


class FakeStream:
    """Looks like the openai/anthropic packages' ``Stream``: iterable once, ``close()``, a context manager, and a
    ``response`` member. Raises ``fail`` after ``fail_after`` chunks when set."""

    def __init__(self, chunks: List[Any], fail_after: Optional[int] = None) -> None:
        self.chunks = chunks
        self.fail_after = fail_after
        self.closed = False
        self.entered = False
        self.response = SimpleNamespace(status_code=200)
        self._iterator = self._iterate()

    def _iterate(self) -> Iterator[Any]:
        for index, chunk in enumerate(self.chunks):
            if self.fail_after is not None and index == self.fail_after:
                raise ConnectionResetError("stream cut")
            if self.closed:
                return
            yield chunk
        if self.fail_after is not None and self.fail_after >= len(self.chunks):
            raise ConnectionResetError("stream cut")

    def __iter__(self) -> Iterator[Any]:
        for item in self._iterator:
            yield item

    def __next__(self) -> Any:
        return next(self._iterator)

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> "FakeStream":
        self.entered = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def chat_chunk(content: str) -> Any:
    return SimpleNamespace(
        id="chatcmpl-s", choices=[SimpleNamespace(index=0, delta=SimpleNamespace(content=content))], usage=None
    )


class FakeStreamingOpenAI:
    """chat.completions.create(stream=True) streams "Hel", "lo!" and — when include_usage is asked, as OpenAI
    does — a final usage-only chunk."""

    def __init__(self, fail_after: Optional[int] = None, usage: bool = True) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.streams: List[FakeStream] = []
        self.fail_after = fail_after
        self.usage = usage
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self._create))

    def _create(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        assert kwargs.get("stream") is True
        chunks = [chat_chunk("Hel"), chat_chunk("lo!")]
        if self.usage and (kwargs.get("stream_options") or {}).get("include_usage"):
            chunks.append(SimpleNamespace(
                id="chatcmpl-s", choices=[],
                usage=FakeUsage(prompt_tokens=20, completion_tokens=5, total_tokens=25, prompt_tokens_details=None),
            ))
        stream = FakeStream(chunks, self.fail_after)
        self.streams.append(stream)
        return stream


class FakeStreamingAnthropic:
    def __init__(self, fail_after: Optional[int] = None) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.fail_after = fail_after
        self.messages = SimpleNamespace(create=self._create)

    def _create(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        events: List[Any] = [
            {"type": "message_start", "message": {"id": "msg_s", "usage": {
                "input_tokens": 30, "output_tokens": 1, "cache_read_input_tokens": 0}}},
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
            SimpleNamespace(type="content_block_delta", index=0, delta=SimpleNamespace(type="text_delta", text="Hello")),
            {"type": "content_block_stop", "index": 0},
            SimpleNamespace(type="message_delta", delta={"stop_reason": "end_turn"},
                            usage=FakeUsage(output_tokens=7, input_tokens=None)),
            {"type": "message_stop"},
        ]
        return FakeStream(events, self.fail_after)


ASK = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi"}], "max_tokens": 50}
#: "Say hi" is 6 UTF-8 bytes, + 4 for the message, + 3 for the request.
ASK_INPUT_ESTIMATE = 6 + 4 + 3


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



class GuardOpenAIStreamTest(unittest.TestCase):
    def setUp(self) -> None:
        require_server(self)
        self.sg = client()

    def test_a_stream_commits_its_usage_and_hides_the_usage_chunk_nobody_asked_for(self) -> None:
        agent = unique("oai-stream")
        fake = FakeStreamingOpenAI()
        guarded = guard_openai(fake, agent=agent, spendguard=self.sg)
        stream = guarded.chat.completions.create(**ASK, stream=True)
        self.assertEqual(fake.calls[0]["stream_options"], {"include_usage": True})
        self.assertEqual(stream.response.status_code, 200)  # the stream's own members pass through
        self.assertEqual(reservations_of(agent)[0]["status"], "held")
        chunks = list(stream)
        self.assertEqual([c.choices[0].delta.content for c in chunks], ["Hel", "lo!"])
        [event] = events_of(agent)
        self.assertEqual(event["usage"]["input_tokens"], 20)
        self.assertEqual(event["usage"]["output_tokens"], 5)
        self.assertGreater(event["cost_micros"], 0)
        self.assertEqual(agent_spend(agent), event["cost_micros"])
        self.assertEqual(reservations_of(agent)[0]["status"], "committed")
        # Priced as the same usage reported by a non-streamed call.
        plain = unique("oai-plain")
        guard_openai(FakeOpenAI(), agent=plain, spendguard=self.sg).chat.completions.create(**ASK)
        self.assertEqual(events_of(plain)[0]["cost_micros"], event["cost_micros"])

    def test_a_caller_who_asked_for_the_usage_chunk_gets_it(self) -> None:
        agent = unique("oai-stream-asked")
        fake = FakeStreamingOpenAI()
        guarded = guard_openai(fake, agent=agent, spendguard=self.sg)
        stream = guarded.chat.completions.create(
            **ASK, stream=True, stream_options={"include_usage": True, "include_obfuscation": False}
        )
        self.assertEqual(fake.calls[0]["stream_options"], {"include_usage": True, "include_obfuscation": False})
        chunks = [chunk for chunk in stream]
        self.assertEqual(len(chunks), 3)
        self.assertEqual(chunks[-1].choices, [])
        self.assertEqual(chunks[-1].usage.model_dump()["completion_tokens"], 5)
        [event] = events_of(agent)
        self.assertEqual(event["usage"]["output_tokens"], 5)

    def test_other_stream_options_are_kept(self) -> None:
        fake = FakeStreamingOpenAI()
        guarded = guard_openai(fake, agent=unique("oai-stream-opts"), spendguard=self.sg)
        list(guarded.chat.completions.create(**ASK, stream=True, stream_options={"include_obfuscation": False}))
        self.assertEqual(fake.calls[0]["stream_options"], {"include_obfuscation": False, "include_usage": True})

    def test_breaking_out_closes_the_stream_and_commits_the_text_received(self) -> None:
        agent = unique("oai-stream-break")
        fake = FakeStreamingOpenAI()
        guarded = guard_openai(fake, agent=agent, spendguard=self.sg)
        for chunk in guarded.chat.completions.create(**ASK, stream=True):
            self.assertEqual(chunk.choices[0].delta.content, "Hel")
            break
        self.assertTrue(fake.streams[0].closed)
        [event] = events_of(agent)
        # No usage arrived: the input estimate, and the output counted from "Hel" (3 UTF-8 bytes).
        self.assertEqual(event["usage"]["input_tokens"], ASK_INPUT_ESTIMATE)
        self.assertEqual(event["usage"]["output_tokens"], 3)
        self.assertGreater(event["cost_micros"], 0)
        self.assertEqual(reservations_of(agent)[0]["status"], "committed")

    def test_close_and_the_with_block_commit_once(self) -> None:
        agent = unique("oai-stream-with")
        fake = FakeStreamingOpenAI()
        guarded = guard_openai(fake, agent=agent, spendguard=self.sg)
        with guarded.chat.completions.create(**ASK, stream=True) as stream:
            self.assertTrue(fake.streams[0].entered)
            self.assertEqual(next(stream).choices[0].delta.content, "Hel")
        self.assertTrue(fake.streams[0].closed)
        stream.close()  # already settled: no second commit
        self.assertEqual(list(stream), [])
        [event] = events_of(agent)
        self.assertEqual(event["usage"]["output_tokens"], 3)

        closed = unique("oai-stream-close")
        stream = guard_openai(fake, agent=closed, spendguard=self.sg).chat.completions.create(**ASK, stream=True)
        next(stream)
        next(stream)
        stream.close()
        self.assertTrue(fake.streams[1].closed)
        [event] = events_of(closed)
        self.assertEqual(event["usage"]["output_tokens"], 6)  # "Hello!"

    def test_a_dropped_stream_commits_what_was_generated(self) -> None:
        agent = unique("oai-stream-gc")
        guarded = guard_openai(FakeStreamingOpenAI(), agent=agent, spendguard=self.sg)
        stream = guarded.chat.completions.create(**ASK, stream=True)
        next(stream)
        del stream
        gc.collect()
        [event] = events_of(agent)
        self.assertEqual(event["usage"]["output_tokens"], 3)

    def test_an_error_mid_stream_commits_what_was_generated_and_propagates(self) -> None:
        agent = unique("oai-stream-cut")
        guarded = guard_openai(FakeStreamingOpenAI(fail_after=1), agent=agent, spendguard=self.sg)
        received: List[Any] = []
        with self.assertRaises(ConnectionResetError):
            for chunk in guarded.chat.completions.create(**ASK, stream=True):
                received.append(chunk)
        self.assertEqual(len(received), 1)
        [event] = events_of(agent)
        self.assertEqual(event["usage"]["input_tokens"], ASK_INPUT_ESTIMATE)
        self.assertEqual(event["usage"]["output_tokens"], 3)
        self.assertEqual(reservations_of(agent)[0]["status"], "committed")

    def test_an_error_after_the_usage_commits_the_usage(self) -> None:
        agent = unique("oai-stream-late-cut")
        guarded = guard_openai(FakeStreamingOpenAI(fail_after=3), agent=agent, spendguard=self.sg)
        with self.assertRaises(ConnectionResetError):
            list(guarded.chat.completions.create(**ASK, stream=True))
        [event] = events_of(agent)
        self.assertEqual(event["usage"]["input_tokens"], 20)
        self.assertEqual(event["usage"]["output_tokens"], 5)

    def test_an_error_before_the_first_chunk_releases_the_hold(self) -> None:
        agent = unique("oai-stream-dead")
        guarded = guard_openai(FakeStreamingOpenAI(fail_after=0), agent=agent, spendguard=self.sg)
        stream = guarded.chat.completions.create(**ASK, stream=True)
        with self.assertRaises(ConnectionResetError):
            next(stream)
        self.assertEqual(reservations_of(agent)[0]["status"], "released")
        self.assertEqual(events_of(agent), [])
        self.assertEqual(agent_spend(agent), 0)

    def test_a_failed_call_releases_the_hold(self) -> None:
        agent = unique("oai-stream-fail")
        guarded = guard_openai(FakeOpenAI(fail=True), agent=agent, spendguard=self.sg)
        with self.assertRaises(ConnectionError):
            guarded.chat.completions.create(**ASK, stream=True)
        self.assertEqual(reservations_of(agent)[0]["status"], "released")

    def test_a_decline_raises_before_the_provider_is_called(self) -> None:
        agent = unique("oai-stream-decline")
        create_agent(agent, {"month_micros": 1})
        fake = FakeStreamingOpenAI()
        guarded = guard_openai(fake, agent=agent, spendguard=self.sg)
        with self.assertRaises(BudgetExceededError):
            guarded.chat.completions.create(**ASK, stream=True)
        self.assertEqual(fake.calls, [])


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


class GuardAnthropicStreamTest(unittest.TestCase):
    def setUp(self) -> None:
        require_server(self)
        self.sg = client()

    ask = {"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": [{"role": "user", "content": "Hello"}]}

    def test_a_stream_commits_message_start_and_message_delta_usage(self) -> None:
        agent = unique("claude-stream")
        fake = FakeStreamingAnthropic()
        guarded = guard_anthropic(fake, agent=agent, spendguard=self.sg)
        events = list(guarded.messages.create(**self.ask, stream=True))
        self.assertEqual(len(events), 6)  # nothing hidden
        self.assertNotIn("stream_options", fake.calls[0])
        [event] = events_of(agent)
        self.assertEqual(event["usage"]["input_tokens"], 30)
        self.assertEqual(event["usage"]["output_tokens"], 7)
        self.assertGreater(event["cost_micros"], 0)
        self.assertEqual(agent_spend(agent), event["cost_micros"])
        plain = unique("claude-plain")
        guard_anthropic(FakeAnthropic(), agent=plain, spendguard=self.sg).messages.create(**self.ask)
        self.assertEqual(events_of(plain)[0]["cost_micros"], event["cost_micros"])

    def test_an_error_before_message_delta_commits_the_input_and_the_text_so_far(self) -> None:
        agent = unique("claude-stream-cut")
        guarded = guard_anthropic(FakeStreamingAnthropic(fail_after=3), agent=agent, spendguard=self.sg)
        with self.assertRaises(ConnectionResetError):
            for _ in guarded.messages.create(**self.ask, stream=True):
                pass
        [event] = events_of(agent)
        self.assertEqual(event["usage"]["input_tokens"], 30)
        self.assertEqual(event["usage"]["output_tokens"], 5)  # "Hello": 5 bytes, more than the 1 reported
        self.assertEqual(reservations_of(agent)[0]["status"], "committed")

    def test_a_stream_stopped_after_message_start_commits_the_input(self) -> None:
        agent = unique("claude-stream-break")
        guarded = guard_anthropic(FakeStreamingAnthropic(), agent=agent, spendguard=self.sg)
        with guarded.messages.create(**self.ask, stream=True) as stream:
            for item in stream:
                self.assertEqual(item["type"], "message_start")
                break
        [event] = events_of(agent)
        self.assertEqual(event["usage"]["input_tokens"], 30)
        self.assertEqual(event["usage"]["output_tokens"], 1)

    def test_a_decline_raises_before_the_provider_is_called(self) -> None:
        agent = unique("claude-stream-decline")
        create_agent(agent, {"month_micros": 1})
        fake = FakeStreamingAnthropic()
        with self.assertRaises(BudgetExceededError):
            guard_anthropic(fake, agent=agent, spendguard=self.sg).messages.create(**self.ask, stream=True)
        self.assertEqual(fake.calls, [])


class EstimateTest(unittest.TestCase):
    def test_input_estimate_over_counts(self) -> None:
        messages = [{"role": "user", "content": "héllo"}, {"role": "user", "content": [
            {"type": "text", "text": "abc"}, {"type": "image_url", "image_url": {"url": "data:..."}}]}]
        # "héllo\nabc" is 10 UTF-8 bytes; 2 messages × 4; 3 per request; one image.
        self.assertEqual(estimate_input_tokens(messages, 2, [], "m", utf8_bytes), 10 + 8 + 3 + 1600)


if __name__ == "__main__":
    unittest.main()
