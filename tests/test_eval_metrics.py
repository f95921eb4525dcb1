"""Metrics: Japanese-aware text scores, multiple-choice scoring and bootstrap standard errors."""

import numpy as np
import pytest

from deshi.evals.metrics import (
    MetricError,
    bootstrap_ratio_stderr,
    bootstrap_stderr,
    char_f1,
    contains_answer,
    exact_match,
    get_generative_metric,
    json_schema_valid,
    mc_scores,
    normalize,
    regex_match,
    rouge_l,
)


def test_exact_match_is_nfkc_and_punctuation_insensitive():
    assert exact_match("ＡＢＣ１２３。", {"answer": "abc123"}) == 1.0
    assert exact_match(" 東京 ", {"answer": ["大阪", "東京"]}) == 1.0
    assert exact_match("東京都", {"answer": "東京"}) == 0.0
    assert contains_answer("答えは東京都です", {"answer": "東京"}) == 1.0


def test_char_f1_scores_japanese_without_spaces():
    # Word-level F1 would see one token each and score 0; characters give partial credit.
    assert char_f1("東京都庁", {"answer": "東京都"}) == pytest.approx(2 * (3 / 4) * 1 / (3 / 4 + 1))
    assert char_f1("大阪", {"answer": "東京"}) == 0.0
    assert char_f1("", {"answer": "東京"}) == 0.0


def test_rouge_l_uses_character_lcs_order():
    # Same characters, different order: bag-of-characters F1 is perfect, ROUGE-L is not.
    assert char_f1("京東", {"answer": "東京"}) == 1.0
    assert rouge_l("京東", {"answer": "東京"}) == pytest.approx(0.5)
    assert rouge_l("株式会社ミナト", {"answer": "ミナト株式会社"}) == pytest.approx(4 / 7)


def test_regex_and_json_schema():
    assert regex_match("日付は２０２５-04-01", {"pattern": r"\d{4}-\d{2}-\d{2}"}) == 1.0
    schema = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    assert json_schema_valid('結果: ```json\n{"name": "田中"}\n```', {"schema": schema}) == 1.0
    assert json_schema_valid('{"name": 3}', {"schema": schema}) == 0.0
    assert json_schema_valid("no json here", {"schema": schema}) == 0.0
    with pytest.raises(MetricError, match="pattern"):
        regex_match("x", {})


def test_unknown_metric_is_a_clear_error():
    with pytest.raises(MetricError, match="unknown metric 'bleu'"):
        get_generative_metric("bleu")


def test_mc_scores_acc_and_length_normalised_acc():
    # The long right answer has the lower total log-likelihood but the higher per-character one.
    scores = mc_scores([-6.0, -4.0], ["ながいこたえです", "みじかい"], gold=0)
    assert scores == {"acc": 0.0, "acc_norm": 1.0}


def test_bootstrap_stderr_is_seeded_and_close_to_the_binomial_formula():
    values = [1.0] * 30 + [0.0] * 70
    a, b = bootstrap_stderr(values, seed=3), bootstrap_stderr(values, seed=3)
    assert a == b
    assert a == pytest.approx(np.sqrt(0.3 * 0.7 / 100), rel=0.15)
    assert bootstrap_stderr([1.0]) == 0.0


def test_bootstrap_ratio_stderr_for_corpus_perplexity():
    nll = np.array([10.0, 20.0, 30.0, 40.0])
    tokens = np.array([10, 10, 10, 10])
    se = bootstrap_ratio_stderr(nll, tokens, np.exp, seed=0)
    assert se > 0
    assert bootstrap_ratio_stderr(np.full(4, 10.0), tokens, np.exp) == pytest.approx(0.0)


def test_normalize_strips_space_and_fullwidth():
    assert normalize("Ｔｏｋｙｏ　タワー、") == "tokyoタワー"
