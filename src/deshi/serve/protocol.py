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


class _Open(BaseModel):
    # Unknown OpenAI fields (logit_bias, tools, metadata …) are accepted and ignored, as vLLM does,
    # so newer clients keep working; the fields we act on are typed and bounded.
    model_config = ConfigDict(extra="allow")


class ContentPart(BaseModel):
    type: str = "text"
    text: str | None = None


class ChatMessage(_Open):
    role: Literal["system", "user", "assistant", "tool", "developer"]
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
    model: str = Field(..., min_length=1, max_length=256)
    max_tokens: int | None = Field(None, ge=1, le=1_000_000)
    max_completion_tokens: int | None = Field(None, ge=1, le=1_000_000)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    stop: str | list[str] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(1, ge=1, le=1)
    user: str | None = Field(None, max_length=256)

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
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=1024)
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
