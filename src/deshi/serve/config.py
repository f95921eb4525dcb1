"""serve.yaml: model aliases → backends, guard, cache, auth/budgets, audit and cost settings.

Every field here is also documented in docs/serve.md; unknown keys are errors (a typo in a budget
must not silently disable it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from deshi.config import StageConfig, load_config


class UpstreamConfig(StageConfig):
    url: str = Field(..., description="Base URL of an OpenAI-compatible server, e.g. http://10.0.0.5:8000/v1.")
    model: str | None = Field(None, description="Model name to send upstream (default: the alias).")
    api_key: str | None = Field(None, description="Bearer token for the upstream (or api_key_env).")
    api_key_env: str | None = Field(None, description="Environment variable holding the upstream's key.")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        from deshi.serve.httpclient import split_http_url

        split_http_url(value)
        return value


class CostConfig(StageConfig):
    """How a model's cost is computed: a per-token price, or hardware cost over measured throughput."""

    input_per_1k: float | None = Field(None, ge=0, description="Price per 1K prompt tokens (currency of your choice).")
    output_per_1k: float | None = Field(None, ge=0, description="Price per 1K completion tokens.")
    hardware_per_hour: float | None = Field(
        None, ge=0, description="Cost per hour of the machine serving this model; divided by measured tokens/s."
    )
    assumed_tokens_per_second: float = Field(
        50.0, gt=0, description="Throughput assumed until enough tokens were measured (hardware pricing only)."
    )

    @model_validator(mode="after")
    def _one_way(self) -> CostConfig:
        if self.hardware_per_hour is not None and (self.input_per_1k is not None or self.output_per_1k is not None):
            raise ValueError("set either hardware_per_hour or input_per_1k/output_per_1k, not both")
        return self


class ModelConfig(StageConfig):
    name: str = Field(..., description="Alias clients send as `model`.")
    path: Path | None = Field(None, description="HF save_pretrained directory served by the in-process engine.")
    upstreams: list[UpstreamConfig] = Field(default_factory=list, description="Upstream servers, tried in order.")
    fallbacks: list[str] = Field(default_factory=list, description="Other aliases to try when every upstream fails.")
    cost: CostConfig = Field(default_factory=CostConfig)
    max_batch_size: int = Field(16, ge=1, le=256, description="Engine: most requests decoded together.")
    batch_wait_ms: float = Field(5.0, ge=0, le=1000, description="Engine: wait this long to fill a batch.")
    queue_size: int = Field(256, ge=1, description="Engine: queued requests beyond which clients get 503.")
    default_max_tokens: int = Field(256, ge=1, description="max_tokens when the request sets none.")
    chat_template: str | None = Field(None, description="Jinja chat template if the tokenizer has none.")
    device: str = Field("cpu", description="torch device for the engine.")
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"

    @model_validator(mode="after")
    def _one_backend(self) -> ModelConfig:
        if (self.path is None) == (not self.upstreams):
            raise ValueError(f"model {self.name!r}: set exactly one of `path` (in-process) or `upstreams`")
        return self


class KeyConfig(StageConfig):
    id: str = Field(..., description="Key id recorded in the audit trail (never the key itself).")
    sha256: str = Field(..., min_length=64, max_length=64, description="sha256 hex of the API key (`deshi serve keygen`).")
    token_budget: int | None = Field(None, ge=0, description="Total tokens this key may use (prompt + completion).")
    cost_budget: float | None = Field(None, ge=0, description="Total cost this key may spend.")
    requests_per_minute: int | None = Field(None, ge=1)
    tokens_per_minute: int | None = Field(None, ge=1)
    models: list[str] | None = Field(None, description="Aliases this key may use (default: all).")


class AuthConfig(StageConfig):
    enabled: bool = Field(False, description="Require `Authorization: Bearer <key>` on /v1/*.")
    keys: list[KeyConfig] = Field(default_factory=list)


class GuardConfig(StageConfig):
    prompt_pii: Literal["off", "mask", "block"] = Field("mask", description="PII found in prompts.")
    output_pii: Literal["off", "flag", "mask"] = Field("flag", description="PII found in completions.")
    injection: Literal["off", "flag", "block"] = Field("flag", description="Prompt-injection heuristics.")


class CacheConfig(StageConfig):
    enabled: bool = True
    max_entries: int = Field(10_000, ge=1)
    sqlite_path: Path | None = Field(None, description="Also persist entries here (survives restarts).")


class AuditConfig(StageConfig):
    url: str | None = Field(None, description="sqlite:///path.db (default: audit.db beside serve.yaml) or postgresql://…")
    store_prompts: bool = Field(False, description="Store raw prompts and completions in the record (off: hashes only).")


class ReleaseConfig(StageConfig):
    workspace: Path = Field(Path("workspace"), description="Workspace whose registry holds gate verdicts.")
    registry_url: str | None = None
    force: bool = Field(False, description="Serve models without a passing gate verdict (audited).")


class ServeConfig(StageConfig):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    models: list[ModelConfig] = Field(..., min_length=1)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    guard: GuardConfig = Field(default_factory=GuardConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    audit: AuditConfig = Field(default_factory=AuditConfig)
    release: ReleaseConfig = Field(default_factory=ReleaseConfig)
    upstream_timeout_s: float = Field(60.0, gt=0)
    upstream_retries: int = Field(2, ge=0, le=10)
    max_body_bytes: int = Field(4 << 20, ge=1024)

    @model_validator(mode="after")
    def _unique(self) -> ServeConfig:
        names = [m.name for m in self.models]
        if len(set(names)) != len(names):
            raise ValueError("model names must be unique")
        for m in self.models:
            for fb in m.fallbacks:
                if fb not in names or fb == m.name:
                    raise ValueError(f"model {m.name!r}: fallback {fb!r} is not another configured model")
        return self


def load_serve_config(path: Path | str) -> ServeConfig:
    """Load serve.yaml; relative paths (model dirs, audit db) resolve against the file's directory."""
    path = Path(path)
    config = load_config(ServeConfig, path)
    base = path.resolve().parent
    for model in config.models:
        if model.path is not None and not model.path.is_absolute():
            model.path = base / model.path
    if config.audit.url is None:
        config.audit.url = f"sqlite:///{base / 'audit.db'}"
    elif config.audit.url.startswith("sqlite:///") and not Path(config.audit.url[10:]).is_absolute():
        config.audit.url = f"sqlite:///{(base / config.audit.url[10:]).resolve()}"
    if config.cache.sqlite_path is not None and not config.cache.sqlite_path.is_absolute():
        config.cache.sqlite_path = base / config.cache.sqlite_path
    if not config.release.workspace.is_absolute():
        config.release.workspace = base / config.release.workspace
    return config
