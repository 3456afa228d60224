"""Guarded LLM clients: ``guard_openai(client, agent=...)`` / ``guard_anthropic(client, agent=...)``.

Duck-typed — no dependency on the ``openai`` or ``anthropic`` packages. Each non-streamed
``client.chat.completions.create(...)`` / ``client.messages.create(...)``:

1. holds an estimate (``reserve(estimate={provider, model, input_tokens, max_output_tokens})``) — a decline raises
   the SDK's typed error before the provider is called;
2. calls the real method;
3. commits ``usage: {provider, model, raw: <response.usage as a dict>}``, which the server prices exactly;
   or releases the hold when the call raised (then re-raises the provider's error, untouched).

The input estimate over-counts on purpose (a hold must never be smaller than the call can cost): the UTF-8 byte
count of every prompt string (a BPE token is at least one byte) plus the JSON of tool definitions, + 4 tokens per
message, + 3 per request, + 1,600 per image/audio/file part. The output estimate is ``max_completion_tokens`` /
``max_tokens`` (× ``n``), or 4,096 when the request sets none. The committed cost always comes from the provider's
usage.

Streamed calls (``stream=True``) are guarded too: the hold is taken before the call, and the stream returned is a
wrapper that reads every chunk on its way to the caller and settles the hold exactly once — when the stream ends,
fails, is broken out of, closed, left by its ``with`` block, or garbage-collected. OpenAI chat streams are sent with
``stream_options={"include_usage": True}`` (the only way a chat stream reports usage); the final usage-only chunk is
hidden from a caller who had not asked for it. Anthropic streams are priced from ``message_start`` +
``message_delta``. A stream that stopped before its usage arrived commits the input estimate (or, for Anthropic, the
reported input counts) plus the output counted from the text received (``count_tokens``; UTF-8 bytes by default, an
over-count). A stream that fails before its first chunk releases the hold. Async clients are not wrapped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple, Union

from .client import Reservation, Spendguard

logger = logging.getLogger("spendguard")

#: Added per message for the role and separators each chat format wraps a message in.
PER_MESSAGE_TOKENS = 4
#: Added once per request: the tokens that prime the reply.
PER_REQUEST_TOKENS = 3
#: Held for each image, audio or file part.
MEDIA_PART_TOKENS = 1600
#: Output tokens held for a request that sets no limit.
DEFAULT_MAX_OUTPUT_TOKENS = 4096

TokenCounter = Callable[[str, str], int]
Fingerprint = Union[bool, Callable[[Mapping[str, Any]], Optional[str]]]

_MEDIA_TYPES = {"image", "image_url", "input_image", "input_audio", "audio", "file", "input_file", "document"}
_NON_TEXT_KEYS = {
    "type", "role", "id", "tool_call_id", "tool_use_id", "call_id", "cache_control", "detail", "signature",
    "data", "media_type", "url", "status",
}


def utf8_bytes(text: str, model: str) -> int:
    """The default token counter: UTF-8 bytes, an upper bound of the token count for BPE tokenizers."""
    return len(text.encode("utf-8", "replace"))


def to_plain(value: Any) -> Any:
    """A provider object (pydantic model, dataclass-like, dict) as plain JSON data, ``None`` members dropped."""
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    for method in ("model_dump", "to_dict", "dict"):
        dump = getattr(value, method, None)
        if callable(dump):
            try:
                return to_plain(dump())
            except TypeError:
                continue
    if hasattr(value, "__dict__"):
        return to_plain({k: v for k, v in vars(value).items() if not k.startswith("_")})
    return str(value)


def _prompt_text(value: Any) -> Tuple[str, int]:
    strings: List[str] = []
    media = 0

    def walk(node: Any) -> None:
        nonlocal media
        if isinstance(node, str):
            strings.append(node)
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item)
        elif isinstance(node, Mapping):
            if isinstance(node.get("type"), str) and node["type"] in _MEDIA_TYPES:
                media += 1
                return
            for key, child in node.items():
                if key not in _NON_TEXT_KEYS:
                    walk(child)

    walk(to_plain(value))
    return "\n".join(strings), media


def estimate_input_tokens(
    prompt: List[Any], messages: int, definitions: List[Any], model: str, count: TokenCounter
) -> int:
    """count(text of the prompt + JSON of the definitions) + 4 per message + 3 per request + 1,600 per media part."""
    text, media = _prompt_text(prompt)
    defs = "\n".join(
        json.dumps(to_plain(d), ensure_ascii=False, separators=(",", ":")) for d in definitions if d is not None
    )
    counted = count(f"{text}\n{defs}" if defs else text, model)
    whole = math.ceil(counted) if counted > 0 else 0
    return whole + messages * PER_MESSAGE_TOKENS + PER_REQUEST_TOKENS + media * MEDIA_PART_TOKENS


def canonical_fingerprint(value: Any) -> str:
    """Lower-case hex SHA-256 of the canonical JSON (sorted keys) of ``value``."""
    canonical = json.dumps(to_plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _positive(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class _Plan:
    def __init__(self, model: str, input_tokens: int, max_output_tokens: int, fingerprint_source: Any):
        self.model = model
        self.input_tokens = input_tokens
        self.max_output_tokens = max_output_tokens
        self.fingerprint_source = fingerprint_source


def _model_of(request: Mapping[str, Any], caller: str) -> str:
    model = request.get("model")
    if not isinstance(model, str) or model == "":
        raise TypeError(f"{caller}: the request names no model, so its cost cannot be held")
    return model


def _openai_chat_plan(request: Mapping[str, Any], count: TokenCounter, default_max: int) -> _Plan:
    model = _model_of(request, "guard_openai")
    messages = request.get("messages")
    message_list = list(messages) if isinstance(messages, (list, tuple)) else []
    per_choice = (
        _positive(request.get("max_completion_tokens")) or _positive(request.get("max_tokens")) or default_max
    )
    return _Plan(
        model,
        estimate_input_tokens(
            message_list,
            len(message_list),
            [request.get("tools"), request.get("functions"), request.get("response_format")],
            model,
            count,
        ),
        per_choice * (_positive(request.get("n")) or 1),
        {"model": model, "messages": messages},
    )


def _anthropic_plan(request: Mapping[str, Any], count: TokenCounter, default_max: int) -> _Plan:
    model = _model_of(request, "guard_anthropic")
    messages = request.get("messages")
    message_list = list(messages) if isinstance(messages, (list, tuple)) else []
    system = request.get("system")
    return _Plan(
        model,
        estimate_input_tokens(
            [system, message_list],
            len(message_list) + (1 if system else 0),
            [request.get("tools"), request.get("output_config")],
            model,
            count,
        ),
        _positive(request.get("max_tokens")) or default_max,
        {"model": model, "system": system, "messages": messages},
    )


PlanFn = Callable[[Mapping[str, Any], TokenCounter, int], _Plan]


def _get(value: Any, name: str) -> Any:
    """``value[name]`` of a mapping, ``value.name`` of an object (a provider's pydantic model), else ``None``."""
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _items(value: Any) -> List[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _whole_tokens(value: float) -> int:
    return math.ceil(value) if value > 0 and math.isfinite(value) else 0


def _plain_usage(value: Any) -> Optional[Dict[str, Any]]:
    if value is None:
        return None
    plain = to_plain(value)
    return plain if isinstance(plain, dict) else None


class _StreamReader:
    """Reads a stream's chunks for what the call cost (as the TypeScript SDK's ``StreamReader``)."""

    def __init__(self) -> None:
        #: Whether any chunk arrived.
        self.seen = False
        self._generated: List[str] = []

    def read(self, chunk: Any) -> bool:
        """Takes one chunk; ``False`` hides it from the caller."""
        raise NotImplementedError

    def text(self) -> str:
        """The text generated so far (content, tool-call arguments), for an estimate when the stream stopped early."""
        return "".join(self._generated)

    def usage(self, output_estimate: int) -> Optional[Dict[str, Any]]:
        """The provider's usage to commit, or ``None`` when none arrived."""
        raise NotImplementedError


def _chat_message_text(message: Any) -> str:
    """A chat message's or delta's generated text: content, refusal, tool-call and function-call arguments."""
    if message is None:
        return ""
    calls = [_text(_get(_get(call, "function"), "arguments")) for call in _items(_get(message, "tool_calls"))]
    return "".join(
        [
            _text(_get(message, "content")),
            _text(_get(message, "refusal")),
            _text(_get(_get(message, "function_call"), "arguments")),
            *calls,
        ]
    )


class _ChatStreamReader(_StreamReader):
    def __init__(self, hide_usage: bool) -> None:
        super().__init__()
        self._hide_usage = hide_usage
        self._usage: Optional[Dict[str, Any]] = None

    def read(self, chunk: Any) -> bool:
        self.seen = True
        choices = _get(chunk, "choices")
        for choice in _items(choices):
            self._generated.append(_chat_message_text(_get(choice, "delta")))
        usage = _plain_usage(_get(chunk, "usage"))
        if usage is None:
            return True
        self._usage = usage
        # The final chunk of include_usage: no choices, only the usage. Shown only to a caller who asked for it.
        return not (self._hide_usage and isinstance(choices, (list, tuple)) and len(choices) == 0)

    def usage(self, output_estimate: int) -> Optional[Dict[str, Any]]:
        return self._usage


def _anthropic_block_text(block: Any) -> str:
    """A content block's or delta's generated text: text, thinking, tool input JSON."""
    if block is None:
        return ""
    given = _get(block, "input")
    tool_input = "" if given is None else json.dumps(to_plain(given), ensure_ascii=False, separators=(",", ":"))
    return "".join(
        [_text(_get(block, "text")), _text(_get(block, "thinking")), _text(_get(block, "partial_json")), tool_input]
    )


class _MessagesStreamReader(_StreamReader):
    """message_start carries the input usage (and an output count of a token or so); message_delta the final output
    count (newer API versions repeat the input counts there). Merged, they are the usage the provider bills."""

    def __init__(self) -> None:
        super().__init__()
        self._usage: Optional[Dict[str, Any]] = None
        self._final = False

    def _merge(self, more: Optional[Dict[str, Any]]) -> None:
        if more is not None:
            self._usage = {**(self._usage or {}), **more}

    def read(self, chunk: Any) -> bool:
        self.seen = True
        kind = _get(chunk, "type")
        if kind == "message_start":
            self._merge(_plain_usage(_get(_get(chunk, "message"), "usage")))
        elif kind == "content_block_delta":
            self._generated.append(_anthropic_block_text(_get(chunk, "delta")))
        elif kind == "message_delta":
            self._merge(_plain_usage(_get(chunk, "usage")))
            self._final = True
        return True

    def usage(self, output_estimate: int) -> Optional[Dict[str, Any]]:
        if self._usage is None or self._final:
            return self._usage
        # Stopped before message_delta: the input counts are real, the output is what arrived, estimated.
        sent = self._usage.get("output_tokens")
        sent_tokens = sent if isinstance(sent, int) and not isinstance(sent, bool) else 0
        return {**self._usage, "output_tokens": max(sent_tokens, output_estimate)}


class _Endpoint:
    """How one provider's create method reads its requests and stream chunks."""

    def __init__(
        self,
        provider: str,
        plan: PlanFn,
        prepare_stream: Callable[[Dict[str, Any]], Tuple[Dict[str, Any], bool]],
        stream_reader: Callable[[bool], _StreamReader],
    ) -> None:
        self.provider = provider
        self.plan = plan
        #: A streamed request as sent upstream, and whether the caller must not see the chunk carrying the usage.
        self.prepare_stream = prepare_stream
        self.stream_reader = stream_reader


def _openai_prepare_stream(request: Dict[str, Any]) -> Tuple[Dict[str, Any], bool]:
    given = request.get("stream_options")
    options = dict(given) if isinstance(given, Mapping) else {}
    asked = options.get("include_usage") is True
    # Without include_usage a chat stream carries no usage at all.
    return {**request, "stream_options": {**options, "include_usage": True}}, not asked


_OPENAI_CHAT = _Endpoint("openai", _openai_chat_plan, _openai_prepare_stream, _ChatStreamReader)
_ANTHROPIC_MESSAGES = _Endpoint(
    "anthropic", _anthropic_plan, lambda request: (request, False), lambda hide: _MessagesStreamReader()
)


class _Options:
    def __init__(
        self,
        spendguard: Optional[Spendguard],
        agent: str,
        run: Optional[str],
        fingerprint: Fingerprint,
        ttl_seconds: int,
        default_max_output_tokens: int,
        count_tokens: Optional[TokenCounter],
        caller: str,
    ) -> None:
        if not isinstance(agent, str) or agent == "":
            raise TypeError(f"{caller}: agent is required")
        self.spendguard = spendguard if spendguard is not None else Spendguard()
        self.agent = agent
        self.run = run
        self.fingerprint = fingerprint
        self.ttl_seconds = ttl_seconds
        self.default_max_output_tokens = default_max_output_tokens
        self.count: TokenCounter = count_tokens or utf8_bytes


def _guarded_call(
    original: Callable[..., Any],
    args: Tuple[Any, ...],
    request: Dict[str, Any],
    endpoint: _Endpoint,
    options: _Options,
) -> Any:
    provider = endpoint.provider
    plan = endpoint.plan(request, options.count, options.default_max_output_tokens)
    fingerprint: Optional[str] = None
    if callable(options.fingerprint):
        fingerprint = options.fingerprint(request)
    elif options.fingerprint:
        fingerprint = canonical_fingerprint(plan.fingerprint_source)
    hold: Reservation = options.spendguard.reserve(
        options.agent,
        estimate={
            "provider": provider,
            "model": plan.model,
            "input_tokens": plan.input_tokens,
            "max_output_tokens": plan.max_output_tokens,
        },
        run=options.run,
        fingerprint=fingerprint,
        ttl_seconds=options.ttl_seconds,
    )
    streamed = request.get("stream") is True
    sent, hide_usage = endpoint.prepare_stream(request) if streamed else (request, False)
    try:
        response = original(*args, **sent)
    except BaseException:
        _release_quietly(hold)
        raise
    if streamed:
        reader = endpoint.stream_reader(hide_usage)

        def settle(failed: bool) -> None:
            # A stream that failed before sending anything generated nothing: give the hold back.
            if failed and not reader.seen:
                _release_quietly(hold)
                return
            generated = _whole_tokens(options.count(reader.text(), plan.model))
            raw = reader.usage(generated)
            usage: Dict[str, Any] = (
                {"provider": provider, "model": plan.model, "raw": raw}
                if raw
                else {
                    "provider": provider,
                    "model": plan.model,
                    "input_tokens": plan.input_tokens,
                    "output_tokens": generated,
                }
            )
            hold.commit(usage=usage)

        return _GuardedStream(response, reader, settle)
    raw_usage = _usage_of(response)
    usage: Dict[str, Any]
    if raw_usage:
        usage = {"provider": provider, "model": plan.model, "raw": raw_usage}
    else:
        # No usage reported: commit the estimate (the most the call could have cost).
        usage = {
            "provider": provider,
            "model": plan.model,
            "input_tokens": plan.input_tokens,
            "output_tokens": plan.max_output_tokens,
        }
    hold.commit(usage=usage)
    return response


def _release_quietly(hold: Reservation) -> None:
    try:
        hold.release()
    except Exception:  # the provider's error matters more; the hold expires by its TTL anyway
        logger.warning("spendguard: could not release the hold of a failed LLM call", exc_info=True)


class _GuardedStream:
    """The stream a guarded ``create(stream=True)`` returns: the provider's stream, read chunk by chunk on its way
    to the caller. Iterable (``for`` / ``next()``), ``close()``, a context manager; every other attribute is the
    provider stream's own (``response``, ``until_done()`` …). The hold is settled exactly once:

    - the stream ends → commit (the provider's usage); an error from the provider raised on by ``next()`` (or a
      failed commit);
    - the stream raises → commit what was generated, or release if no chunk had arrived; the provider's error
      propagates, not a failed commit;
    - the caller breaks out of a ``for`` loop, calls ``close()``, leaves the ``with`` block, or drops the stream →
      the provider stream is closed and what was generated so far is committed.
    """

    def __init__(self, stream: Any, reader: _StreamReader, settle: Callable[[bool], None]) -> None:
        self._stream = stream
        self._reader = reader
        self._settle_hold = settle
        self._iterator: Optional[Iterator[Any]] = None
        self._settled = False
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_stream", "_reader", "_settle_hold", "_iterator", "_settled", "_lock"):
            raise AttributeError(name)
        return getattr(self._stream, name)

    def __repr__(self) -> str:
        return f"<spendguard guarded {self._stream!r}>"

    def _settle(self, failed: bool) -> None:
        with self._lock:
            if self._settled:
                return
            self._settled = True
        if failed:
            # The stream's own error is what the caller must see, not a failed commit.
            try:
                self._settle_hold(True)
            except Exception:
                logger.warning("spendguard: could not settle the hold of a failed stream", exc_info=True)
        else:
            self._settle_hold(False)

    def _step(self) -> Any:
        if self._settled:
            raise StopIteration
        if self._iterator is None:
            self._iterator = iter(self._stream)
        while True:
            try:
                chunk = next(self._iterator)
            except StopIteration:
                self._settle(False)
                raise
            except BaseException:
                self._settle(True)
                raise
            if self._reader.read(chunk):
                return chunk

    def __next__(self) -> Any:
        return self._step()

    def __iter__(self) -> Iterator[Any]:
        return self._chunks()

    def _chunks(self) -> Iterator[Any]:
        # A generator, so that breaking out of ``for chunk in stream`` closes it (CPython: at once) and so ends the
        # stream: ``finally`` closes the provider's stream and commits what was generated.
        try:
            while True:
                try:
                    chunk = self._step()
                except StopIteration:
                    return
                yield chunk
        finally:
            if not self._settled:
                try:
                    self.close()
                except Exception:  # raised into a generator being closed, it would only be printed
                    logger.warning("spendguard: could not settle the hold of a stopped stream", exc_info=True)

    def close(self) -> None:
        """Closes the provider's stream (which ends the upstream request) and commits what was generated."""
        try:
            close = getattr(self._stream, "close", None)
            if callable(close):
                close()
        finally:
            self._settle(False)

    def __enter__(self) -> "_GuardedStream":
        enter = getattr(self._stream, "__enter__", None)
        if callable(enter):
            enter()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            leave = getattr(self._stream, "__exit__", None)
            if callable(leave):
                leave(exc_type, exc, tb)
            else:
                close = getattr(self._stream, "close", None)
                if callable(close):
                    close()
        finally:
            self._settle(False)

    def __del__(self) -> None:
        # Dropped without being finished or closed: commit what was generated (best effort; the hold's TTL is the
        # backstop).
        try:
            if not self._settled:
                self._settle(False)
        except Exception:
            pass


def _usage_of(response: Any) -> Optional[Dict[str, Any]]:
    usage = response.get("usage") if isinstance(response, Mapping) else getattr(response, "usage", None)
    if usage is None:
        return None
    plain = to_plain(usage)
    return plain if isinstance(plain, dict) else None


class _Proxy:
    """Forwards every attribute to the wrapped object except the ones overridden."""

    def __init__(self, wrapped: Any) -> None:
        object.__setattr__(self, "_wrapped", wrapped)

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_wrapped"), name)

    def __repr__(self) -> str:
        return f"<spendguard guarded {object.__getattribute__(self, '_wrapped')!r}>"


class _GuardedCreate(_Proxy):
    def __init__(self, resource: Any, endpoint: _Endpoint, options: _Options) -> None:
        super().__init__(resource)
        object.__setattr__(self, "_endpoint", endpoint)
        object.__setattr__(self, "_options", options)

    def create(self, *args: Any, **kwargs: Any) -> Any:
        resource = object.__getattribute__(self, "_wrapped")
        return _guarded_call(
            resource.create,
            args,
            kwargs,
            object.__getattribute__(self, "_endpoint"),
            object.__getattribute__(self, "_options"),
        )


class _GuardedChat(_Proxy):
    def __init__(self, chat: Any, options: _Options) -> None:
        super().__init__(chat)
        object.__setattr__(
            self, "completions", _GuardedCreate(chat.completions, _OPENAI_CHAT, options)
        )


class _GuardedOpenAI(_Proxy):
    def __init__(self, client: Any, options: _Options) -> None:
        super().__init__(client)
        object.__setattr__(self, "chat", _GuardedChat(client.chat, options))


class _GuardedAnthropic(_Proxy):
    def __init__(self, client: Any, options: _Options) -> None:
        super().__init__(client)
        object.__setattr__(self, "messages", _GuardedCreate(client.messages, _ANTHROPIC_MESSAGES, options))


def guard_openai(
    client: Any,
    agent: str,
    *,
    run: Optional[str] = None,
    spendguard: Optional[Spendguard] = None,
    fingerprint: Fingerprint = True,
    ttl_seconds: int = 300,
    default_max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
    count_tokens: Optional[TokenCounter] = None,
) -> Any:
    """A view of an OpenAI client (``openai.OpenAI`` or a look-alike) whose ``chat.completions.create`` holds the
    call's estimated cost before calling OpenAI and commits the usage OpenAI reports; every other attribute is the
    client's own. ``spendguard`` defaults to ``Spendguard()`` (from the environment). ``fingerprint``: by default a
    SHA-256 of model + messages, so the agent's ``repeats`` limit stops a loop; ``False`` sends none; a function
    of the request chooses one. ``stream=True`` returns a wrapper of the stream that commits when it ends, fails or
    is stopped (``include_usage`` is added to the request; its usage-only chunk is hidden unless you asked for it)."""
    options = _Options(
        spendguard, agent, run, fingerprint, ttl_seconds, default_max_output_tokens, count_tokens, "guard_openai"
    )
    return _GuardedOpenAI(client, options)


def guard_anthropic(
    client: Any,
    agent: str,
    *,
    run: Optional[str] = None,
    spendguard: Optional[Spendguard] = None,
    fingerprint: Fingerprint = True,
    ttl_seconds: int = 300,
    default_max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
    count_tokens: Optional[TokenCounter] = None,
) -> Any:
    """A view of an Anthropic client (``anthropic.Anthropic`` or a look-alike) whose ``messages.create`` holds the
    call's estimated cost and commits the usage Anthropic reports — for ``stream=True``, that of ``message_start`` +
    ``message_delta``, when the stream ends, fails or is stopped. Options as for ``guard_openai``."""
    options = _Options(
        spendguard, agent, run, fingerprint, ttl_seconds, default_max_output_tokens, count_tokens, "guard_anthropic"
    )
    return _GuardedAnthropic(client, options)
