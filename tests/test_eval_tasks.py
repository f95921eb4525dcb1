"""Task files: validation errors name file and line; prompts, few-shot and chat rendering."""

import json

import pytest

from deshi.config import ConfigError
from deshi.evals.tasks import TaskError, load_task, load_tasks


def _write(tmp_path, yaml_text, rows=None, raw_lines=None, name="t"):
    data = tmp_path / f"{name}.jsonl"
    if raw_lines is not None:
        data.write_text("\n".join(raw_lines) + "\n", encoding="utf-8")
    else:
        data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    spec = tmp_path / f"{name}.yaml"
    spec.write_text(yaml_text.replace("DATA", data.name), encoding="utf-8")
    return spec


QA = [{"id": f"q{i}", "question": f"{i}+{i}は?", "answer": str(2 * i)} for i in range(6)]


def test_malformed_jsonl_line_is_named(tmp_path):
    spec = _write(tmp_path, "name: qa\ndata: DATA\n", raw_lines=[json.dumps(QA[0]), "{broken", json.dumps(QA[1])])
    with pytest.raises(TaskError, match=r"t\.jsonl:2: not valid JSON"):
        load_task(spec)


def test_unknown_metric_names_yaml_file_and_line(tmp_path):
    spec = _write(tmp_path, "name: qa\ndata: DATA\nmetrics:\n  - exact_match\n  - bleu\n", QA)
    with pytest.raises(ConfigError) as info:
        load_task(spec)
    message = str(info.value)
    assert f"{spec}:5" in message and "unknown metric 'bleu'" in message


def test_metric_that_does_not_fit_the_task_type(tmp_path):
    spec = _write(tmp_path, "name: qa\ntype: multiple_choice\ndata: DATA\nmetrics: [char_f1]\n", QA)
    with pytest.raises(ConfigError, match="do not apply to a multiple_choice task"):
        load_task(spec)


def test_example_missing_a_prompt_field_is_named(tmp_path):
    rows = [*QA[:2], {"id": "bad", "answer": "1"}]
    spec = _write(tmp_path, "name: qa\ndata: DATA\nprompt: '{question}'\n", rows)
    with pytest.raises(TaskError, match=r"t\.jsonl:3: prompt uses field 'question'"):
        load_task(spec)


def test_multiple_choice_gold_may_be_index_letter_or_text(tmp_path):
    rows = [{"q": "a", "choices": ["x", "y"], "answer": 1}, {"q": "b", "choices": ["x", "y"], "answer": "B"},
            {"q": "c", "choices": ["x", "y"], "answer": "x"}, {"q": "d", "choices": ["x", "y"], "answer": "z"}]
    spec = _write(tmp_path, "name: mc\ntype: multiple_choice\ndata: DATA\nprompt: '{q}'\n", rows)
    with pytest.raises(TaskError, match=r"t\.jsonl:4: gold answer 'z'"):
        load_task(spec)


def test_few_shot_is_seeded_and_never_includes_the_example_itself(tmp_path):
    spec = _write(tmp_path, "name: qa\ndata: DATA\nprompt: \"Q: {question}\\nA:\"\nfew_shot: 3\n", QA)
    task = load_task(spec)
    for example in task.examples:
        prompt = task.build_prompt(example, seed=1)
        assert prompt.count("Q:") == 4
        assert prompt.endswith(f"Q: {example.fields['question']}\nA:")
        assert prompt.count(example.fields["question"]) == 1
        assert prompt == task.build_prompt(example, seed=1)
    assert any(task.build_prompt(e, 1) != task.build_prompt(e, 2) for e in task.examples)


def test_chat_prompt_has_system_and_shots_as_turns(tmp_path):
    spec = _write(tmp_path, "name: qa\ndata: DATA\nchat: true\nsystem_prompt: 数字で答える\nfew_shot: 1\n", QA)
    task = load_task(spec)
    messages = task.build_prompt(task.examples[0])
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[-1]["content"] == QA[0]["question"]


def test_duplicate_task_names_and_empty_dir(tmp_path):
    a = _write(tmp_path, "name: same\ndata: DATA\n", QA, name="a")
    b = _write(tmp_path, "name: same\ndata: DATA\n", QA, name="b")
    with pytest.raises(TaskError, match="duplicate task names: same"):
        load_tasks([a, b])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TaskError, match="no task files"):
        load_tasks([empty])


def test_bundled_example_tasks_load():
    tasks = load_tasks(["examples/demo/tasks"])
    assert {t.name for t in tasks} >= {"extract_json", "era_dates"}
