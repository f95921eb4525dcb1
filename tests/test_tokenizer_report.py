"""Fertility metrics, the HTML report, the three CLI commands and the pipeline stage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from transformers import AutoTokenizer
from typer.testing import CliRunner

from deshi.artifacts import load_manifest, verify
from deshi.cli import app
from deshi.registry import Registry
from deshi.stages import StageContext
from deshi.tokenizer.fertility import measure
from deshi.tokenizer.loading import load_tokenizer
from deshi.tokenizer.stage import Config, run
from tokenizer_helpers import EN_HELDOUT, JA_HELDOUT, build_tiny_base, compose_docs, write_jsonl

runner = CliRunner()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("rep")
    return {
        "train": write_jsonl(root / "train.jsonl", compose_docs(300, seed=2)),
        "ja": write_jsonl(root / "heldout.jsonl", JA_HELDOUT),
        "en": write_jsonl(root / "heldout_en.jsonl", EN_HELDOUT),
        "root": root,
    }


@pytest.fixture(scope="module")
def trained(data: dict[str, Path]) -> Path:
    out = data["root"] / "tok"
    result = runner.invoke(app, ["tokenizer", "train", str(data["train"]), "--out", str(out), "--vocab-size", "700", "--no-japanese-charset",
                                 "--baseline-bpe", "--japanese", str(data["ja"]), "--english", str(data["en"])])
    assert result.exit_code == 0, result.output
    return out


def test_train_command_writes_a_sealed_hf_tokenizer_artifact(trained: Path, data: dict[str, Path]) -> None:
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "sp.model", "report.html", "fertility.json"):
        assert (trained / name).is_file(), name
    manifest = load_manifest(trained)
    assert manifest["stage"] == "tokenizer" and manifest["config"]["vocab_size"] == 700
    assert manifest["inputs"][0]["path"] == str(data["train"])
    assert manifest["counts"]["hf_sp_parity_mismatch"] == 0
    assert verify(trained).ok
    assert AutoTokenizer.from_pretrained(str(trained)).chat_template
    names = {r["tokenizer"] for r in json.loads((trained / "fertility.json").read_text())}
    assert names == {"deshi-bpe-700", "byte-level-bpe-700"}


def test_metrics_match_a_direct_count(trained: Path) -> None:
    tok = load_tokenizer(str(trained))
    texts = JA_HELDOUT[:3]
    result = measure(tok, texts, "ja")
    hf = AutoTokenizer.from_pretrained(str(trained))
    ids = [hf.encode(t, add_special_tokens=False) for t in texts]
    assert result.tokens == sum(map(len, ids))
    assert result.chars_per_token == pytest.approx(sum(map(len, texts)) / result.tokens)
    byte_pieces = sum(1 for seq in ids for t in hf.convert_ids_to_tokens(seq) if t.startswith("<0x"))
    assert byte_pieces > 0 and result.byte_tokens == byte_pieces  # held-out kanji absent from training
    assert result.roundtrip == 1.0 and 0 < result.words < result.characters


def test_byte_level_fragments_count_as_byte_tokens(trained: Path) -> None:
    bpe = load_tokenizer(str(trained / "baseline_bpe"))
    assert bpe.kind == "hf-byte-level"
    rare = measure(bpe, ["龘靐齉"], "ja")  # unseen characters: split into single-byte fragments
    assert rare.byte_tokens == rare.tokens == 9 and rare.roundtrip == 1.0
    english = measure(bpe, ["the report"], "en")
    assert english.byte_tokens == 0 and english.words == 2


def test_report_command_compares_any_number_of_tokenizers(trained: Path, data: dict[str, Path], tmp_path: Path) -> None:
    base = build_tiny_base(tmp_path / "base")
    out = tmp_path / "cmp.html"
    result = runner.invoke(app, ["tokenizer", "report", f"deshi={trained}", str(trained / "baseline_bpe"),
                                 str(trained / "sp.model"), f"english-base={base}",
                                 "--japanese", str(data["ja"]), "--english", str(data["en"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "english-base" in html and "chars/token" in html
    rows = json.loads((tmp_path / "cmp" / "fertility.json").read_text())
    assert len(rows) == 8
    by = {(r["tokenizer"], r["language"]): r for r in rows}
    assert by[("deshi", "ja")]["tokens"] == by[("sp", "ja")]["tokens"]  # HF export == SentencePiece
    assert by[("deshi", "ja")]["chars_per_token"] > by[("english-base", "ja")]["chars_per_token"]
    assert all(r["roundtrip"] == 1.0 for r in rows)
    assert load_manifest(tmp_path / "cmp")["stage"] == "tokenizer_report"


def test_cli_errors_are_one_line_with_exit_code_2(tmp_path: Path) -> None:
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    env_cmd = [sys.executable, "-m", "deshi.cli", "tokenizer", "train", str(empty), "--out", str(tmp_path / "o")]
    done = subprocess.run(env_cmd, capture_output=True, text=True, cwd=Path(__file__).parents[1], env={"PYTHONPATH": "src", "PATH": "", "COLUMNS": "300", "HF_HUB_OFFLINE": "1"})
    message = " ".join(done.stderr.split())
    assert done.returncode == 2 and "has no documents with text" in message and "Traceback" not in message
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "precious.txt").write_text("x")
    result = runner.invoke(app, ["tokenizer", "train", str(tmp_path / "none.jsonl"), "--out", str(tmp_path / "keep")])
    assert result.exit_code != 0 and (tmp_path / "keep" / "precious.txt").is_file()


def test_stage_trains_on_curate_and_reports_on_demo_heldout(data: dict[str, Path], tmp_path: Path) -> None:
    demo = tmp_path / "demo_data"
    demo.mkdir()
    (demo / "heldout.jsonl").write_bytes(data["ja"].read_bytes())
    (demo / "heldout_en.jsonl").write_bytes(data["en"].read_bytes())
    registry = Registry.open(tmp_path)
    ctx = StageContext(workspace=tmp_path / "ws", seed=0, registry=registry, outputs={"curate": data["train"], "demo_data": demo})
    result = run(Config(vocab_size=700, japanese_charset=False), ctx)
    registry.close()
    assert result.artifact_dir == tmp_path / "ws" / "tokenizer"
    assert result.report is not None and result.report.is_file()
    assert any("byte-level-bpe-700 on held-out ja" in line for line in result.summary)
    assert result.metrics["deshi-bpe-700/ja/roundtrip"] == 1.0
    assert AutoTokenizer.from_pretrained(str(result.artifact_dir)).encode("こんにちは", add_special_tokens=False)


def test_extend_command_writes_model_tokenizer_and_manifest(data: dict[str, Path], tmp_path: Path) -> None:
    base = build_tiny_base(tmp_path / "base")
    out = tmp_path / "ext"
    result = runner.invoke(app, ["tokenizer", "extend", "--base", str(base), "--dataset", str(data["train"]),
                                 "--out", str(out), "--new-tokens", "40", "--init", "mean-of-all"])
    assert result.exit_code == 0, result.output
    manifest = load_manifest(out)
    assert manifest["stage"] == "tokenizer_extend" and manifest["counts"]["added_tokens"] == 40
    assert [i["path"] for i in manifest["inputs"]] == [str(base), str(data["train"])]
    assert len(AutoTokenizer.from_pretrained(str(out))) == manifest["counts"]["new_rows"]
    bad = runner.invoke(app, ["tokenizer", "extend", "--base", str(base), "--dataset", str(data["train"]),
                              "--out", str(tmp_path / "x"), "--new-tokens", "4", "--init", "zeros"])
    assert bad.exit_code != 0 and "mean-of-pieces or mean-of-all" in str(bad.exception)


def test_train_reads_a_config_file_and_flags_override_it(data: dict[str, Path], tmp_path: Path) -> None:
    config = tmp_path / "tokenizer.yaml"
    config.write_text("vocab_size: 650\nmodel_type: unigram\njapanese_charset: false\nbaseline_bpe: false\n", encoding="utf-8")
    out = tmp_path / "tok"
    result = runner.invoke(app, ["tokenizer", "train", str(data["train"]), "--out", str(out), "--config", str(config), "--vocab-size", "700"])
    assert result.exit_code == 0, result.output
    recorded = load_manifest(out)["config"]
    assert (recorded["vocab_size"], recorded["model_type"], recorded["baseline_bpe"]) == (700, "unigram", False)
    assert not (out / "baseline_bpe").exists()
    config.write_text("vocab_size: 650\nvocab_sise: 3\n", encoding="utf-8")
    bad = runner.invoke(app, ["tokenizer", "train", str(data["train"]), "--out", str(tmp_path / "t2"), "--config", str(config)])
    assert bad.exit_code != 0 and f"{config}:2: vocab_sise: unknown field" in str(bad.exception)


def test_report_on_a_missing_tokenizer_is_a_clear_error(data: dict[str, Path], tmp_path: Path) -> None:
    result = runner.invoke(app, ["tokenizer", "report", str(tmp_path / "nope"), "--japanese", str(data["ja"]), "--out", str(tmp_path / "r.html")])
    assert result.exit_code != 0 and "does not exist" in str(result.exception)
