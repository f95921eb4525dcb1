"""OpenAI-compatible request models and response builders (the wire contract, in one module).

Requests are pydantic models (types are the contract; FastAPI publishes them in the OpenAPI schema).
Responses are plain dicts serialised with orjson: re-validating our own output on every request costs
more than the rest of the gateway's hot path, and the shapes are pinned by the openai-client tests.
"""

from __future__ import annotations

import os
import time
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

# Request limits, named once: the pydantic models and the fast path below both read them.
Role = Literal["system", "user", "assistant", "tool", "developer"]
MODEL_NAME_MAX = 256
MAX_TOKENS_LIMIT = 1_000_000
TEMPERATURE_MAX = 2.0
TOP_P_MAX = 1.0
SEED_MAX = 2**63 - 1
USER_MAX = 256
MESSAGES_MAX = 1024


class _Open(BaseModel):
    # Unknown OpenAI fields (logit_bias, tools, metadata …) are accepted and ignored, as vLLM does,
    # so newer clients keep working; the fields we act on are typed and bounded.
    model_config = ConfigDict(extra="allow")


class ContentPart(BaseModel):
    type: str = "text"
    text: str | None = None


class ChatMessage(_Open):
    role: Role
    content: str | list[ContentPart] | None = None
    name: str | None = None

    def text(self) -> str:
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text or "" for p in self.content if p.type == "text")


class JsonSchemaSpec(BaseModel):
    name: str = Field("output", max_length=64)
    schema_: dict[str, Any] = Field(default_factory=dict, alias="schema")
    strict: bool | None = None
    description: str | None = None

    model_config = ConfigDict(populate_by_name=True)


class ResponseFormat(BaseModel):
    type: Literal["text", "json_object", "json_schema"] = "text"
    json_schema: JsonSchemaSpec | None = None


class StreamOptions(BaseModel):
    include_usage: bool = False


class _SamplingRequest(_Open):
    model: str = Field(..., min_length=1, max_length=MODEL_NAME_MAX)
    max_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT)
    max_completion_tokens: int | None = Field(None, ge=1, le=MAX_TOKENS_LIMIT)
    temperature: float | None = Field(None, ge=0.0, le=TEMPERATURE_MAX)
    top_p: float | None = Field(None, gt=0.0, le=TOP_P_MAX)
    seed: int | None = Field(None, ge=0, le=SEED_MAX)
    stop: str | list[str] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(1, ge=1, le=1)
    user: str | None = Field(None, max_length=USER_MAX)

    @field_validator("stop")
    @classmethod
    def _stop(cls, value: str | list[str] | None) -> list[str] | None:
        if value is None:
            return None
        stops = [value] if isinstance(value, str) else value
        if len(stops) > 4 or any(not s or len(s) > 64 for s in stops):
            raise ValueError("stop: up to 4 non-empty sequences of at most 64 characters")
        return stops

    def stops(self) -> list[str]:
        return list(self.stop or [])  # type: ignore[arg-type]

    def limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    def deterministic(self) -> bool:
        """Greedy decoding, or sampling with a fixed seed: the same request gives the same answer."""
        return (self.temperature == 0) or self.seed is not None


class ChatCompletionRequest(_SamplingRequest):
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=MESSAGES_MAX)
    response_format: ResponseFormat | None = None


class CompletionRequest(_SamplingRequest):
    prompt: str | list[str] = Field(...)
    echo: bool = False

    @field_validator("prompt")
    @classmethod
    def _one_prompt(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and len(value) != 1:
            raise ValueError("prompt: exactly one prompt per request (send batches as separate requests)")
        return value

    def prompt_text(self) -> str:
        return self.prompt if isinstance(self.prompt, str) else self.prompt[0]


# ---------------------------------------------------------------------------------------------------
# Fast path for the common request shape. Why: pydantic validation of a chat request (model, nested
# message models, field validators) was ~30 µs of the gateway's CPU per request at one client, a tenth
# of it. ``fast_request`` accepts only bodies whose every field has exactly the JSON type and range the
# models above accept, with no extra fields, no ``stop``, ``stream_options`` or ``response_format`` and
# plain-string content, and builds an object with the same attributes and methods; anything else
# returns None and goes through pydantic, so every error body is still pydantic's (a property test
# checks that whatever the fast path accepts, pydantic accepts with the same values).

_FAST_COMMON = ("model", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stream", "n", "user")
_FAST_CHAT_KEYS = frozenset((*_FAST_COMMON, "messages"))
_FAST_COMPLETION_KEYS = frozenset((*_FAST_COMMON, "prompt", "echo"))
_FAST_MESSAGE_KEYS = frozenset(("role", "content", "name"))
_ROLES = frozenset(Role.__args__)


class FastMessage:
    """A chat message the fast path checked (string content); duck-types ``ChatMessage``."""

    __slots__ = ("role", "content", "name")

    def __init__(self, role: str, content: str, name: str | None) -> None:
        self.role, self.content, self.name = role, content, name

    text = ChatMessage.text


class FastRequest:
    """A request the fast path checked; duck-types the request models (same attributes and methods)."""

    __slots__ = ("model", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stream", "n",
                 "user", "messages", "prompt", "echo")
    stop = None
    stream_options = None
    response_format = None

    limit = _SamplingRequest.limit
    deterministic = _SamplingRequest.deterministic
    stops = _SamplingRequest.stops
    prompt_text = CompletionRequest.prompt_text


def _opt_int(value: Any, low: int, high: int) -> bool:
    return value is None or (type(value) is int and low <= value <= high)


def _opt_float(value: Any, low: float, high: float, low_open: bool = False) -> float | None | bool:
    """The value as pydantic's float field gives it, or False when the fast path must not decide."""
    if value is None:
        return None
    if type(value) is not float and type(value) is not int:
        return False
    if value > high or value < low or (low_open and value == low):
        return False
    return float(value)


def fast_request(raw: dict[str, Any], chat: bool) -> FastRequest | None:
    """The checked request, or None when pydantic must validate it (see above)."""
    if not (_FAST_CHAT_KEYS if chat else _FAST_COMPLETION_KEYS).issuperset(raw):
        return None
    get = raw.get
    model = get("model")
    if type(model) is not str or not 1 <= len(model) <= MODEL_NAME_MAX:
        return None
    max_tokens, max_completion_tokens, seed = get("max_tokens"), get("max_completion_tokens"), get("seed")
    if not (_opt_int(max_tokens, 1, MAX_TOKENS_LIMIT) and _opt_int(max_completion_tokens, 1, MAX_TOKENS_LIMIT)
            and _opt_int(seed, 0, SEED_MAX)):
        return None
    temperature = _opt_float(get("temperature"), 0.0, TEMPERATURE_MAX)
    top_p = _opt_float(get("top_p"), 0.0, TOP_P_MAX, low_open=True)
    if temperature is False or top_p is False:
        return None
    stream, n, user = get("stream", False), get("n", 1), get("user")
    if type(stream) is not bool or type(n) is not int or n != 1:
        return None
    if user is not None and (type(user) is not str or len(user) > USER_MAX):
        return None
    req = FastRequest()
    if chat:
        messages = get("messages")
        if type(messages) is not list or not 1 <= len(messages) <= MESSAGES_MAX:
            return None
        checked = []
        for m in messages:
            if type(m) is not dict or not _FAST_MESSAGE_KEYS.issuperset(m):
                return None
            role, content, name = m.get("role"), m.get("content"), m.get("name")
            if type(role) is not str or role not in _ROLES or type(content) is not str:
                return None
            if name is not None and type(name) is not str:
                return None
            checked.append(FastMessage(role, content, name))
        req.messages = checked
    else:
        prompt, echo = get("prompt"), get("echo", False)
        if type(prompt) is not str or type(echo) is not bool:
            return None
        req.prompt, req.echo = prompt, echo
    req.model, req.max_tokens, req.max_completion_tokens, req.seed = model, max_tokens, max_completion_tokens, seed
    req.temperature, req.top_p, req.stream, req.n, req.user = temperature, top_p, stream, n, user
    return req


def new_id(prefix: str) -> str:
    # 128 random bits like uuid4, without building a UUID object (~4x cheaper; runs on every request).
    return f"{prefix}-{os.urandom(16).hex()}"


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def chat_response(rid: str, model: str, text: str, finish: str, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "id": rid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish, "logprobs": None}
        ],
        "usage": usage(prompt_tokens, completion_tokens),
    }


def completion_response(rid: str, model: str, text: str, finish: str, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "id": rid,
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "text": text, "finish_reason": finish, "logprobs": None}],
        "usage": usage(prompt_tokens, completion_tokens),
    }


def chat_chunk(rid: str, model: str, created: int, delta: dict[str, Any], finish: str | None) -> bytes:
    body = {
        "id": rid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
    }
    return b"data: " + orjson.dumps(body) + b"\n\n"


def completion_chunk(rid: str, model: str, created: int, text: str, finish: str | None) -> bytes:
    body = {
        "id": rid,
        "object": "text_completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "text": text, "finish_reason": finish, "logprobs": None}],
    }
    return b"data: " + orjson.dumps(body) + b"\n\n"


def usage_chunk(rid: str, model: str, created: int, obj: str, prompt_tokens: int, completion_tokens: int) -> bytes:
    body = {"id": rid, "object": obj, "created": created, "model": model, "choices": [],
            "usage": usage(prompt_tokens, completion_tokens)}
    return b"data: " + orjson.dumps(body) + b"\n\n"


DONE = b"data: [DONE]\n\n"


def error_body(message: str, type_: str = "invalid_request_error", param: str | None = None, code: str | None = None) -> bytes:
    """OpenAI-style error body: the openai client maps it onto its exception classes."""
    return orjson.dumps({"error": {"message": message, "type": type_, "param": param, "code": code}})


def error_chunk(message: str, type_: str = "server_error", code: str | None = None) -> bytes:
    return b"data: " + error_body(message, type_, None, code) + b"\n\n"
