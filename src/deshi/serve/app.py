"""The HTTP layer: OpenAI-compatible routes over the backends, with guard, cache, auth and audit.

Hot path (why it looks like this): the request body is parsed once with orjson and checked by
``protocol.fast_request`` (common shapes) or validated by a pydantic model (everything else, and every
error); responses are dicts dumped by orjson; the two completion routes are
dispatched straight to the gateway, past Starlette's middleware and routing (``_GatewayApp``); metric
children are memoised; the audit record is committed in a group with concurrent requests before the
response is sent (see ``audit``). The FastAPI routes still declare their request models in the OpenAPI
schema, so clients and schemathesis see the real contract.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse

from deshi.log import get_logger
from deshi.serve import protocol as P
from deshi.serve.audit import AuditLog
from deshi.serve.auth import Accounts, AuthError, Reservation
from deshi.serve.backends import LocalBackend, UpstreamBackend, UpstreamError
from deshi.serve.cache import ResponseCache, request_key
from deshi.serve.config import ServeConfig
from deshi.serve.engine import ContextTooLong, GenRequest, GenResult, QueueFull, generate, stream
from deshi.serve.guard import Guard, GuardBlocked, Incident
from deshi.serve.metrics import CostMeter, Metrics

log = get_logger("deshi.serve.app")
JSON = "application/json"


class JsonResponse(Response):
    """A Response whose JSON body is already rendered (orjson), sent as two raw ASGI messages.

    Why: Starlette's Response re-derives its headers (``init_headers``) and its ``__call__`` handles
    cases (background tasks, pathsend, HEAD) the completion routes never have; on the hot path that
    was ~10% of the gateway's CPU per request. Still a ``Response``, so FastAPI routes return it as is.
    """

    media_type = JSON

    def __init__(self, body: bytes, status_code: int = 200, headers: dict[str, str] | None = None) -> None:
        self.status_code = status_code
        self.body = body
        self.background = None
        raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if headers:
            raw += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        self.raw_headers = raw

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body})


class _RawRequest:
    """The two things the gateway reads from a completion request (a header, the body), from the raw
    ASGI scope and receive channel: the fast path's stand-in for Starlette's Request."""

    __slots__ = ("_scope", "_receive")

    def __init__(self, scope: dict[str, Any], receive: Any) -> None:
        self._scope, self._receive = scope, receive

    @property
    def headers(self) -> _RawRequest:
        return self

    def get(self, name: str, default: str | None = None) -> str | None:
        key = name.lower().encode("latin-1")
        for k, v in self._scope["headers"]:
            if k == key:
                return v.decode("latin-1")
        return default

    async def body(self) -> bytes:
        chunks = []
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)


class ApiError(Exception):
    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type_, param, code
        self.headers = headers or {}

    def response(self, extra: dict[str, str] | None = None) -> Response:
        return JsonResponse(P.error_body(self.message, self.type, self.param, self.code), self.status,
                            {**self.headers, **(extra or {})})


def _validation_error(exc: ValidationError) -> ApiError:
    err = exc.errors(include_url=False)[0]
    param = ".".join(str(p) for p in err["loc"]) or None
    return ApiError(400, f"{param}: {err['msg']}" if param else err["msg"], param=param, code="invalid_value")


@dataclass
class _Call:
    """Everything known about one request while it runs (becomes its audit record)."""

    kind: str  # chat | completion
    rid: str
    started: float
    key_id: str | None = None
    model: str | None = None
    request_hash: str | None = None
    incidents: list[Incident] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    cache_hit: bool = False
    prompt_text: str | None = None
    completion_text: str | None = None
    reservation: Reservation | None = None
    detail: dict[str, Any] | None = None


class Gateway:
    def __init__(self, config: ServeConfig, audit: AuditLog | None = None, guard: Guard | None = None) -> None:
        self.config = config
        self.metrics = Metrics()
        self.guard = guard or Guard(config.guard)
        self.cache = ResponseCache(config.cache.max_entries, config.cache.sqlite_path) if config.cache.enabled else None
        self.audit = audit or AuditLog(config.audit.url or "sqlite:///audit.db", config.audit.store_prompts)
        self.accounts = Accounts(config.auth, self.audit.spent_by_key() if config.auth.enabled else None)
        self.models = {m.name: m for m in config.models}
        self.backends: dict[str, LocalBackend | UpstreamBackend] = {}
        for m in config.models:
            self.backends[m.name] = (LocalBackend(m) if m.path is not None
                                     else UpstreamBackend(m, config.upstream_timeout_s, config.upstream_retries))
        self.meters = {m.name: CostMeter(m.name, m.cost) for m in config.models}
        self._key_budgeted = {k.id: any(v is not None for v in (k.token_budget, k.cost_budget, k.tokens_per_minute))
                              for k in config.auth.keys}
        self._created = int(time.time())
        self._inflight = 0  # completion requests being handled (1: this one alone; its audit record commits inline)

    async def close(self) -> None:
        if getattr(self, "_closed", False):
            return
        self._closed = True
        for backend in self.backends.values():
            await backend.close()
        self.audit.close()
        if self.cache is not None:
            self.cache.close()

    # ------------------------------------------------------------------ shared steps
    async def _parse(self, request: Request, model_cls: type) -> tuple[dict[str, Any], Any, bytes]:
        body = await request.body()
        if len(body) > self.config.max_body_bytes:
            raise ApiError(413, f"request body larger than {self.config.max_body_bytes} bytes", code="request_too_large")
        try:
            raw = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ApiError(400, f"request body is not valid JSON (UTF-8): {exc}", code="invalid_json") from None
        if not isinstance(raw, dict):
            raise ApiError(400, "request body must be a JSON object", code="invalid_json")
        req = P.fast_request(raw, model_cls is P.ChatCompletionRequest)
        if req is None:
            try:
                req = model_cls.model_validate(raw)
            except ValidationError as exc:
                raise _validation_error(exc) from None
        return raw, req, body

    def _count_incidents(self, call: _Call) -> None:
        for inc in call.incidents:
            self.metrics.incidents.labels(inc.kind, inc.type).inc()

    async def _finish(self, call: _Call, status: int, endpoint: str) -> None:
        """Metrics and the durable audit record (awaited: the response must not outrun its record)."""
        latency = time.perf_counter() - call.started
        model = call.model or "-"
        self.metrics.requests.labels(model, endpoint, str(status)).inc()
        if status < 400:
            self.metrics.e2e.labels(model).observe(latency)
            if call.prompt_tokens:
                self.metrics.tokens.labels(model, "prompt").inc(call.prompt_tokens)
            if call.completion_tokens:
                self.metrics.tokens.labels(model, "completion").inc(call.completion_tokens)
            if call.cost:
                self.metrics.cost.labels(model).inc(call.cost)
        self._count_incidents(call)
        await self.audit.append(alone=self._inflight == 1, record={
            "kind": "request", "request_id": call.rid, "key_id": call.key_id, "model": call.model, "status": status,
            "prompt_tokens": call.prompt_tokens, "completion_tokens": call.completion_tokens,
            "cost": round(call.cost, 12), "latency_ms": round(latency * 1000.0, 3), "cache_hit": int(call.cache_hit),
            "guard": [i.as_dict() for i in call.incidents] or None, "request_hash": call.request_hash,
            "prompt": call.prompt_text, "completion": call.completion_text, "detail": call.detail,
        })

    def _settle(self, call: _Call) -> None:
        if call.reservation is not None:
            self.accounts.settle(call.reservation, call.prompt_tokens + call.completion_tokens if not call.cache_hit else 0,
                                 call.cost)
            call.reservation = None

    # ------------------------------------------------------------------ endpoints
    async def handle(self, request: Request, kind: str) -> Response:
        self._inflight += 1
        try:
            return await self._handle(request, kind)
        finally:
            self._inflight -= 1

    async def _handle(self, request: Request, kind: str) -> Response:
        endpoint = "chat" if kind == "chat" else "completions"
        call = _Call(kind, P.new_id("chatcmpl" if kind == "chat" else "cmpl"), time.perf_counter())
        try:
            try:
                call.key_id = self.accounts.authenticate(request.headers.get("authorization"))
            except AuthError as exc:
                raise ApiError(exc.status, exc.message, "authentication_error", code=exc.code) from None
            raw, req, body = await self._parse(request, P.ChatCompletionRequest if kind == "chat" else P.CompletionRequest)
            call.request_hash = hashlib.sha256(body).hexdigest()
            if req.model not in self.models:
                raise ApiError(404, f"the model {req.model!r} does not exist; see GET /v1/models", param="model",
                               code="model_not_found")
            call.model = req.model
            if not self.accounts.allowed_model(call.key_id, req.model):
                raise ApiError(403, f"this API key may not use model {req.model!r}", "permission_error", code="model_not_allowed")
            texts = [m.text() for m in req.messages] if kind == "chat" else [req.prompt_text()]
            try:
                masked, call.incidents = self.guard.check_prompt(texts)
            except GuardBlocked as exc:
                call.incidents = exc.incidents
                raise ApiError(400, str(exc), code="content_filter") from None
            if masked is not texts and masked != texts:
                raw = self._apply_masks(raw, kind, masked)
            if self.config.audit.store_prompts:
                call.prompt_text = "\n".join(masked)
            if req.stream:
                return await self._stream(call, req, raw, masked, endpoint)
            response, headers = await self._complete(call, req, raw, masked)
            await self._finish(call, 200, endpoint)
            headers["x-request-id"] = call.rid
            return JsonResponse(orjson.dumps(response), 200, headers)
        except ApiError as exc:
            self._settle(call)
            await self._finish(call, exc.status, endpoint)
            return exc.response({"x-request-id": call.rid})

    @staticmethod
    def _apply_masks(raw: dict[str, Any], kind: str, masked: list[str]) -> dict[str, Any]:
        raw = dict(raw)
        if kind == "chat":
            raw["messages"] = [{**m, "content": text} for m, text in zip(raw["messages"], masked, strict=True)]
        else:
            raw["prompt"] = masked[0]
        return raw

    def _reserve(self, call: _Call, model: str, prompt_tokens: int, limit: int) -> tuple[float, float]:
        prices = self.meters[model].prices()
        try:
            call.reservation = self.accounts.reserve(call.key_id, prompt_tokens + limit,
                                                     prices[0] * prompt_tokens + prices[1] * limit)
        except AuthError as exc:
            raise ApiError(exc.status, exc.message, "rate_limit_error" if exc.code == "rate_limit_exceeded"
                           else "insufficient_quota", code=exc.code, headers={"retry-after": "1"}) from None
        return prices

    def _local_request(self, backend: LocalBackend, call: _Call, req: Any, masked: list[str]) -> GenRequest:
        engine = backend.engine
        if call.kind == "chat":
            messages = [{"role": m.role, "content": t} for m, t in zip(req.messages, masked, strict=True)]
            prompt_ids = engine.render_chat(messages)
        else:
            prompt_ids = engine.encode(masked[0])
        limit = req.limit() or min(backend.config.default_max_tokens, max(1, engine.max_context - len(prompt_ids)))
        try:
            engine.check_length(len(prompt_ids), limit)
        except ContextTooLong as exc:
            raise ApiError(400, str(exc), param="messages" if call.kind == "chat" else "prompt",
                           code="context_length_exceeded") from None
        grammar = None
        rf = getattr(req, "response_format", None)
        if rf is not None and rf.type in ("json_schema", "json_object"):
            schema = rf.json_schema.schema_ if (rf.type == "json_schema" and rf.json_schema) else None
            try:
                grammar = engine.compile_schema(schema)
            except Exception as exc:  # xgrammar rejects schemas it cannot compile
                raise ApiError(400, f"response_format: unsupported JSON schema ({exc})", param="response_format",
                               code="invalid_schema") from None
        temperature = 1.0 if req.temperature is None else req.temperature
        return GenRequest(prompt_ids, limit, temperature, 1.0 if req.top_p is None else req.top_p, req.seed,
                          req.stops(), grammar)

    def _schema_check(self, req: Any, text: str) -> str | None:
        rf = getattr(req, "response_format", None)
        if rf is None or rf.type == "text":
            return None
        import jsonschema

        try:
            value = orjson.loads(text)
            if rf.type == "json_schema" and rf.json_schema is not None:
                jsonschema.validate(value, rf.json_schema.schema_)
            elif not isinstance(value, dict):
                return "invalid"
        except (orjson.JSONDecodeError, jsonschema.ValidationError, jsonschema.SchemaError):
            return "invalid"
        return "valid"

    async def _complete(self, call: _Call, req: Any, raw: dict[str, Any], masked: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
        backend = self.backends[req.model]
        headers: dict[str, str] = {}
        cache_key = None
        if self.cache is not None and req.deterministic():
            cache_key = request_key(call.kind, raw, call.key_id)
            hit = self.cache.get(cache_key)
            self.metrics.cache.labels("hit" if hit else "miss").inc()
            headers["x-deshi-cache"] = "hit" if hit else "miss"
            if hit is not None:
                self._reserve(call, req.model, 0, 0)
                call.cache_hit = True
                usage = hit.get("usage") or {}
                call.prompt_tokens, call.completion_tokens = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
                self._settle(call)
                hit["id"], hit["created"] = call.rid, int(time.time())
                return hit, headers
        else:
            headers["x-deshi-cache"] = "miss"
        meter = self.meters[req.model]
        if isinstance(backend, LocalBackend):
            gen = self._local_request(backend, call, req, masked)
            prices = self._reserve(call, req.model, len(gen.prompt_ids), gen.max_tokens)
            meter.begin()
            self.metrics.queue_depth.labels(req.model).set(backend.engine.queue_depth())
            try:
                result: GenResult = await generate(backend.engine, gen)
            except QueueFull:
                raise ApiError(503, "the model's request queue is full; retry shortly", "server_overloaded",
                               code="queue_full", headers={"retry-after": "1"}) from None
            finally:
                meter.end(0)
            meter.tokens += result.prompt_tokens + result.completion_tokens
            text, finish = result.text, result.finish_reason
            call.prompt_tokens, call.completion_tokens = result.prompt_tokens, result.completion_tokens
            self.metrics.ttft.labels(req.model).observe(result.ttft_s)
            if result.completion_tokens > 1:
                self.metrics.tpot.labels(req.model).observe((result.total_s - result.ttft_s) / (result.completion_tokens - 1))
            upstream_body = None
        else:
            prompt_est = sum(len(t.encode()) for t in masked) + 8 * len(masked) + 8
            limit = req.limit() or self.models[req.model].default_max_tokens
            prices = self._reserve(call, req.model, prompt_est, limit)
            forward = raw
            if call.key_id is not None and self._key_budgeted.get(call.key_id) and req.limit() is None:
                forward = {**raw, "max_tokens": limit}  # a budgeted key must have a bounded worst case
            meter.begin()
            try:
                try:
                    upstream_body = await backend.complete("/chat/completions" if call.kind == "chat" else "/completions", forward)
                except UpstreamError as exc:
                    self.metrics.errors.labels(req.model).inc()
                    upstream_body = await self._fallback(call, req, forward, exc)
                usage = upstream_body.get("usage") or {}
                call.prompt_tokens = int(usage.get("prompt_tokens") or 0)
                call.completion_tokens = int(usage.get("completion_tokens") or 0)
            finally:
                meter.end(call.prompt_tokens + call.completion_tokens)
            choice = (upstream_body.get("choices") or [{}])[0]
            text = (choice.get("message") or {}).get("content") if call.kind == "chat" else choice.get("text")
            text = text or ""
            finish = choice.get("finish_reason") or "stop"
        out_text, out_incidents = self.guard.check_output(text)
        call.incidents.extend(out_incidents)
        call.cost = prices[0] * call.prompt_tokens + prices[1] * call.completion_tokens
        self._settle(call)
        if self.config.audit.store_prompts:
            call.completion_text = out_text
        schema_state = self._schema_check(req, out_text)
        if schema_state is not None:
            headers["x-deshi-schema"] = schema_state
        if upstream_body is not None:
            response = upstream_body
            response["id"], response["model"] = call.rid, req.model
            if out_text is not text:
                if call.kind == "chat":
                    response["choices"][0]["message"]["content"] = out_text
                else:
                    response["choices"][0]["text"] = out_text
        else:
            build = P.chat_response if call.kind == "chat" else P.completion_response
            response = build(call.rid, req.model, out_text, finish, call.prompt_tokens, call.completion_tokens)
        if cache_key is not None and finish in ("stop", "length") and not out_incidents:
            self.cache.put(cache_key, response)
        return response, headers

    async def _fallback(self, call: _Call, req: Any, forward: dict[str, Any], first: UpstreamError) -> dict[str, Any]:
        if first.status < 500:
            raise ApiError(first.status, f"upstream rejected the request: {(first.body or b'')[:300].decode(errors='replace')}",
                           code="upstream_error")
        for alias in self.models[req.model].fallbacks:
            backend = self.backends[alias]
            if isinstance(backend, UpstreamBackend):
                try:
                    body = await backend.complete("/chat/completions" if call.kind == "chat" else "/completions", forward)
                    call.detail = {"fallback": alias}
                    return body
                except UpstreamError:
                    self.metrics.errors.labels(alias).inc()
                    continue
        raise ApiError(502, f"every upstream for {req.model!r} failed: {first}", "upstream_error", code="upstream_unavailable")

    async def _stream(self, call: _Call, req: Any, raw: dict[str, Any], masked: list[str], endpoint: str) -> Response:
        backend = self.backends[req.model]
        include_usage = bool(req.stream_options and req.stream_options.include_usage)
        meter = self.meters[req.model]
        obj = "chat.completion.chunk" if call.kind == "chat" else "text_completion"
        created = int(time.time())
        if isinstance(backend, LocalBackend):
            gen = self._local_request(backend, call, req, masked)
            prices = self._reserve(call, req.model, len(gen.prompt_ids), gen.max_tokens)
            try:
                events = stream(backend.engine, gen)
                first_event = await events.__anext__()  # surfaces QueueFull before the 200 is sent
            except QueueFull:
                self._settle(call)
                raise ApiError(503, "the model's request queue is full; retry shortly", "server_overloaded",
                               code="queue_full", headers={"retry-after": "1"}) from None
            meter.begin()

            async def body() -> AsyncIterator[bytes]:
                parts: list[str] = []
                status = 200
                first_at = None
                try:
                    if call.kind == "chat":
                        yield P.chat_chunk(call.rid, req.model, created, {"role": "assistant", "content": ""}, None)
                    event = first_event
                    while True:
                        kind, payload = event
                        if kind == "delta":
                            if first_at is None:
                                first_at = time.perf_counter()
                                self.metrics.ttft.labels(req.model).observe(first_at - call.started)
                            parts.append(payload)
                            yield (P.chat_chunk(call.rid, req.model, created, {"content": payload}, None) if call.kind == "chat"
                                   else P.completion_chunk(call.rid, req.model, created, payload, None))
                        else:
                            result: GenResult = payload
                            call.prompt_tokens, call.completion_tokens = result.prompt_tokens, result.completion_tokens
                            if first_at is None:
                                self.metrics.ttft.labels(req.model).observe(result.ttft_s)
                            if result.completion_tokens > 1:
                                self.metrics.tpot.labels(req.model).observe(
                                    (result.total_s - result.ttft_s) / (result.completion_tokens - 1))
                            finish_usage = None if include_usage else P.usage(result.prompt_tokens, result.completion_tokens)
                            chunk = (P.chat_chunk(call.rid, req.model, created, {}, result.finish_reason) if call.kind == "chat"
                                     else P.completion_chunk(call.rid, req.model, created, "", result.finish_reason))
                            if finish_usage is not None:
                                chunk = chunk[:-3] + b',"usage":' + orjson.dumps(finish_usage) + b"}\n\n"
                            yield chunk
                            if include_usage:
                                yield P.usage_chunk(call.rid, req.model, created, obj, result.prompt_tokens, result.completion_tokens)
                            break
                        event = await events.__anext__()
                except Exception as exc:  # engine failure mid-stream: tell the client in-band
                    status = 500
                    log.exception("stream failed")
                    yield P.error_chunk(f"generation failed: {type(exc).__name__}")
                finally:
                    await events.aclose()
                    meter.end(call.prompt_tokens + call.completion_tokens)
                    text = "".join(parts)
                    _, out_incidents = self.guard.check_output(text)
                    call.incidents.extend(out_incidents)
                    call.cost = prices[0] * call.prompt_tokens + prices[1] * call.completion_tokens
                    self._settle(call)
                    if self.config.audit.store_prompts:
                        call.completion_text = text
                    await self._finish(call, status, endpoint)
                yield P.DONE

            return StreamingResponse(body(), media_type="text/event-stream",
                                     headers={"x-request-id": call.rid, "x-deshi-cache": "miss", "cache-control": "no-cache"})

        prompt_est = sum(len(t.encode()) for t in masked) + 8 * len(masked) + 8
        limit = req.limit() or self.models[req.model].default_max_tokens
        prices = self._reserve(call, req.model, prompt_est, limit)
        forward = {**raw, "max_tokens": limit} if (call.key_id and self._key_budgeted.get(call.key_id) and req.limit() is None) else raw
        path = "/chat/completions" if call.kind == "chat" else "/completions"
        chunks = backend.stream(path, forward)
        try:
            first_chunk = await chunks.__anext__()
        except StopAsyncIteration:
            first_chunk = None
        except UpstreamError as exc:
            self._settle(call)
            raise ApiError(exc.status if exc.status < 500 else 502, str(exc), "upstream_error", code="upstream_unavailable") from None
        meter.begin()

        async def relay() -> AsyncIterator[bytes]:
            parts: list[str] = []
            status = 200
            chunk = first_chunk
            try:
                while chunk is not None:
                    usage = chunk.get("usage")
                    if usage:
                        call.prompt_tokens = int(usage.get("prompt_tokens") or 0)
                        call.completion_tokens = int(usage.get("completion_tokens") or 0)
                    chunk["id"], chunk["model"] = call.rid, req.model
                    for choice in chunk.get("choices") or []:
                        piece = (choice.get("delta") or {}).get("content") if call.kind == "chat" else choice.get("text")
                        if piece:
                            if not parts:
                                self.metrics.ttft.labels(req.model).observe(time.perf_counter() - call.started)
                            parts.append(piece)
                    if chunk.get("choices") or include_usage:
                        yield b"data: " + orjson.dumps(chunk) + b"\n\n"
                    chunk = await chunks.__anext__()
            except StopAsyncIteration:
                pass
            except Exception as exc:
                status = 502
                yield P.error_chunk(f"upstream stream failed: {type(exc).__name__}", "upstream_error")
            finally:
                meter.end(call.prompt_tokens + call.completion_tokens)
                _, out_incidents = self.guard.check_output("".join(parts))
                call.incidents.extend(out_incidents)
                call.cost = prices[0] * call.prompt_tokens + prices[1] * call.completion_tokens
                self._settle(call)
                await self._finish(call, status, endpoint)
            yield P.DONE

        return StreamingResponse(relay(), media_type="text/event-stream",
                                 headers={"x-request-id": call.rid, "x-deshi-cache": "miss", "cache-control": "no-cache"})

    # ------------------------------------------------------------------ read-only endpoints
    def models_body(self) -> bytes:
        data = [{"id": name, "object": "model", "created": self._created, "owned_by": "deshi"} for name in self.models]
        return orjson.dumps({"object": "list", "data": data})

    def metrics_body(self) -> bytes:
        for name, meter in self.meters.items():
            self.metrics.cost_per_1k.labels(name).set(meter.per_1k())
            self.metrics.throughput.labels(name).set(meter.tokens_per_second())
            backend = self.backends[name]
            if isinstance(backend, LocalBackend):
                self.metrics.queue_depth.labels(name).set(backend.engine.queue_depth())
        return self.metrics.render()


def _request_schema(model: type) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


class _GatewayApp(FastAPI):
    """FastAPI, with the two completion routes dispatched straight to the gateway.

    Why: a profile of the gateway under wrk (mock upstream, 1 client) put Starlette's middleware
    stack, route matching, dependency solving and exception wrappers at ~0.1 ms of CPU per request,
    for routes that take the raw Request and build their own Response anyway. The routes stay
    registered (OpenAPI schema, docs, any path/method the fast path does not take), and an exception
    here becomes the same OpenAI-style 500 as the app's own handler.
    """

    gateway: Gateway
    _FAST = {"/v1/chat/completions": "chat", "/v1/completions": "completion"}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            kind = self._FAST.get(scope["path"])
            if kind is not None:
                try:
                    response = await self.gateway.handle(_RawRequest(scope, receive), kind)  # type: ignore[arg-type]
                except Exception:
                    log.exception("unhandled error")
                    response = Response(P.error_body("internal error", "server_error"), 500, media_type=JSON)
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(gateway: Gateway) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        yield
        await gateway.close()

    app = _GatewayApp(title="deshi gateway", version="1", lifespan=lifespan,
                      description="OpenAI-compatible gateway: guard, cache, budgets, audit, metrics.")
    app.gateway = gateway
    app.state.gateway = gateway
    errors = {"4XX": {"description": "OpenAI-style error body"}, "503": {"description": "queue full (Retry-After)"}}

    @app.post("/v1/chat/completions", openapi_extra=_request_schema(P.ChatCompletionRequest), responses=errors)
    async def chat_completions(request: Request) -> Response:
        """Chat completion (OpenAI API); `stream: true` answers with server-sent events."""
        return await gateway.handle(request, "chat")

    @app.post("/v1/completions", openapi_extra=_request_schema(P.CompletionRequest), responses=errors)
    async def completions(request: Request) -> Response:
        """Text completion (OpenAI API)."""
        return await gateway.handle(request, "completion")

    @app.get("/v1/models")
    async def models() -> Response:
        """The model aliases this gateway serves."""
        return Response(gateway.models_body(), media_type=JSON)

    @app.get("/health")
    async def health() -> Response:
        """Liveness: 200 while the gateway and its engines run."""
        return Response(orjson.dumps({"status": "ok", "models": list(gateway.models)}), media_type=JSON)

    @app.get("/metrics")
    async def metrics() -> Response:
        """Prometheus metrics."""
        return Response(gateway.metrics_body(), media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        return Response(P.error_body(str(exc.detail), "invalid_request_error", None, code), exc.status_code,
                        media_type=JSON, headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> Response:
        return Response(P.error_body(str(exc.errors()[:1])), 400, media_type=JSON)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unhandled error")
        return Response(P.error_body(f"internal error: {type(exc).__name__}", "server_error"), 500, media_type=JSON)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in (P.ChatCompletionRequest, P.CompletionRequest):
                js = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(js.pop("$defs", {}))
                components[model.__name__] = js
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def build(config: ServeConfig, force: bool = False) -> Gateway:
    """Release-check every local model, record the decisions in the audit trail, build the gateway."""
    from deshi.serve.release import check_release

    audit = AuditLog(config.audit.url or "sqlite:///audit.db", config.audit.store_prompts)
    decisions = []
    try:
        for model in config.models:
            if model.path is not None:
                decisions.append(check_release(model.name, model.path, config.release.workspace,
                                               config.release.registry_url, force or config.release.force))
    except Exception:
        audit.close()
        raise
    for decision in decisions:
        audit.write_sync(decision.audit_record())
        if decision.forced:
            log.warning("serving %s without a passing gate verdict (--force): %s", decision.model, decision.reason)
    gateway = Gateway(config, audit)
    for decision in decisions:
        if decision.forced:
            gateway.metrics.incidents.labels("release_forced", "no_passing_verdict").inc()
    return gateway
