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
usage. Streamed calls (``stream=True``) are not covered by this version and raise ``NotImplementedError``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

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
    provider: str,
    plan_fn: PlanFn,
    options: _Options,
) -> Any:
    if request.get("stream") is True:
        raise NotImplementedError(
            "spendguard: streamed calls are not guarded by the Python SDK yet; "
            "use the unguarded client with sg.reserve() / commit() around the stream"
        )
    plan = plan_fn(request, options.count, options.default_max_output_tokens)
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
    try:
        response = original(*args, **request)
    except BaseException:
        try:
            hold.release()
        except Exception:  # the provider's error matters more; the hold expires by its TTL anyway
            logger.warning("spendguard: could not release the hold of a failed LLM call", exc_info=True)
        raise
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
    def __init__(self, resource: Any, provider: str, plan_fn: PlanFn, options: _Options) -> None:
        super().__init__(resource)
        object.__setattr__(self, "_provider", provider)
        object.__setattr__(self, "_plan_fn", plan_fn)
        object.__setattr__(self, "_options", options)

    def create(self, *args: Any, **kwargs: Any) -> Any:
        resource = object.__getattribute__(self, "_wrapped")
        return _guarded_call(
            resource.create,
            args,
            kwargs,
            object.__getattribute__(self, "_provider"),
            object.__getattribute__(self, "_plan_fn"),
            object.__getattribute__(self, "_options"),
        )


class _GuardedChat(_Proxy):
    def __init__(self, chat: Any, options: _Options) -> None:
        super().__init__(chat)
        object.__setattr__(
            self, "completions", _GuardedCreate(chat.completions, "openai", _openai_chat_plan, options)
        )


class _GuardedOpenAI(_Proxy):
    def __init__(self, client: Any, options: _Options) -> None:
        super().__init__(client)
        object.__setattr__(self, "chat", _GuardedChat(client.chat, options))


class _GuardedAnthropic(_Proxy):
    def __init__(self, client: Any, options: _Options) -> None:
        super().__init__(client)
        object.__setattr__(self, "messages", _GuardedCreate(client.messages, "anthropic", _anthropic_plan, options))


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
    of the request chooses one."""
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
    call's estimated cost and commits the usage Anthropic reports. Options as for ``guard_openai``."""
    options = _Options(
        spendguard, agent, run, fingerprint, ttl_seconds, default_max_output_tokens, count_tokens, "guard_anthropic"
    )
    return _GuardedAnthropic(client, options)
