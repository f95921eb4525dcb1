"""Helpers for the serve tests (no tests here): a tiny Llama + byte-level BPE tokenizer, built in seconds."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson

TEXTS = [
    '{"name": "Tanaka", "age": 30, "ok": true}',
    "hello world, the quick brown fox jumps over the lazy dog",
    "東京都千代田区の会議は午後三時からです。",
    "The answer is 42. Stop here.",
] * 20


def build_tiny_model(out: Path, max_positions: int = 256, seed: int = 0) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out = Path(out)
    if (out / "config.json").is_file():
        return out
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<unk>", "<s>", "</s>", "<pad>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(TEXTS, trainer)
    hf_tok = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>")
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(hf_tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=max_positions,
                         bos_token_id=hf_tok.bos_token_id, eos_token_id=hf_tok.eos_token_id,
                         pad_token_id=hf_tok.pad_token_id, tie_word_embeddings=True,
                         initializer_range=0.3)
    model = LlamaForCausalLM(config)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    hf_tok.save_pretrained(out)
    return out


def make_config(tmp: Path, model_dir: Path | None = None, **overrides):
    """A ServeConfig for a tiny local model (or the given upstream models) with its audit db in ``tmp``."""
    from deshi.serve.config import ServeConfig

    data = {
        "models": [{"name": "tiny", "path": str(model_dir), "batch_wait_ms": 1, "default_max_tokens": 16,
                    "cost": {"hardware_per_hour": 3.6}}] if model_dir else [],
        "audit": {"url": f"sqlite:///{tmp / 'audit.db'}"},
        "release": {"workspace": str(tmp / "ws"), "force": True},
    }
    data.update(overrides)
    return ServeConfig.model_validate(data)


class AppClient:
    """httpx client on the ASGI app in-process (no sockets); closes the gateway on exit."""

    def __init__(self, config, force: bool = True):
        from deshi.serve.app import build, create_app

        self.gateway = build(config, force=force)
        self.app = create_app(self.gateway)

    async def __aenter__(self):
        import httpx

        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://deshi")
        return self.client

    async def __aexit__(self, *exc):
        await self.client.aclose()
        await self.gateway.close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(config_path: Path, port: int, *extra: str):
    """``deshi serve`` as a subprocess; waits until /health answers."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src"), "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "deshi.cli", "serve", "--config", str(config_path), "--port", str(port), *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stdout.read().decode(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def _completion(text: str) -> bytes:
    return orjson.dumps({"id": "x", "object": "chat.completion", "created": 1, "model": "m",
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                         "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}})


class ScriptedUpstream:
    """Answers request n with ``script[n]`` (the last entry repeats): 'length', 'chunked', 'close', '500', 'hang',
    'drop_idle' (answer, then close the kept-alive socket as an idle-timeout would)."""

    def __init__(self, script: list[str], text: str = "hello") -> None:
        self.script, self.text = script, text
        self.requests: list[bytes] = []
        self.connections = 0

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
                self.requests.append(await reader.readexactly(length))
                mode = self.script[min(len(self.requests) - 1, len(self.script) - 1)]
                body = _completion(self.text)
                if mode == "hang":
                    await asyncio.sleep(30)
                    return
                if mode == "500":
                    writer.write(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}")
                elif mode == "chunked":
                    half = len(body) // 2
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 + b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (half, body[:half], len(body) - half, body[half:]))
                else:
                    close = b"Connection: close\r\n" if mode == "close" else b""
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + close
                                 + b"Content-Length: %d\r\n\r\n" % len(body) + body)
                await writer.drain()
                if mode in ("close", "drop_idle"):
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    async def stop(self) -> None:
        self.server.close()
