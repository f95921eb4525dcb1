"""Loading teachers and saving students as plain Hugging Face directories.

Any causal-LM directory that ``AutoModelForCausalLM`` loads works as a teacher; every model deshi
writes is a ``save_pretrained`` directory (safetensors) with its tokenizer files beside it, so the
directory is self-contained and loads with plain ``from_pretrained`` — no deshi needed.
"""

from __future__ import annotations

from pathlib import Path

import torch

from deshi.errors import DeshiError


class ModelLoadError(DeshiError):
    """A model or tokenizer directory cannot be loaded."""


def load_tokenizer(path: Path | str):
    from transformers import AutoTokenizer

    path = Path(path)
    if not path.exists():
        raise ModelLoadError(f"tokenizer {path} does not exist")
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path))
    except Exception as exc:  # transformers raises OSError/ValueError/KeyError for broken dirs
        raise ModelLoadError(f"cannot load a tokenizer from {path}: {exc}") from None
    if tokenizer.eos_token_id is None:
        raise ModelLoadError(f"tokenizer {path} has no eos_token; deshi needs one to separate examples")
    return tokenizer


def load_causal_lm(path: Path | str, dtype: str = "float32"):
    """A causal LM from a local directory (offline: never downloads)."""
    from transformers import AutoModelForCausalLM

    path = Path(path)
    if not (path / "config.json").is_file():
        raise ModelLoadError(f"{path} is not a Hugging Face model directory (no config.json)")
    try:
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=getattr(torch, dtype), local_files_only=True)
    except Exception as exc:
        raise ModelLoadError(f"cannot load a causal LM from {path}: {exc}") from None
    return model.eval()


def save_model_dir(model, tokenizer, out: Path) -> Path:
    """``save_pretrained`` (safetensors) + tokenizer files + a generation config that stops at EOS."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = getattr(model, "module", model)
    generation = getattr(model, "generation_config", None)
    if generation is not None:
        generation.eos_token_id = tokenizer.eos_token_id
        generation.pad_token_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    model.save_pretrained(str(out), safe_serialization=True)
    tokenizer.save_pretrained(str(out))
    return out


def tokenizer_for_model(model_dir: Path, fallback: Path | None = None):
    """The tokenizer saved with a model, else ``fallback`` (a tokenizer dir)."""
    model_dir = Path(model_dir)
    if any((model_dir / name).exists() for name in ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")):
        return load_tokenizer(model_dir)
    if fallback is None:
        raise ModelLoadError(f"{model_dir} has no tokenizer files; pass the tokenizer directory")
    return load_tokenizer(fallback)
