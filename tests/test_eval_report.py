"""The gate report: a self-contained HTML page that a real browser renders, and a Markdown summary."""

import json
import shutil
import subprocess

import httpx
import pytest

from deshi.evals.gate import gate_release
from deshi.evals.models import OpenAIEndpoint
from deshi.evals.probes import load_probes
from deshi.evals.runner import evaluate
from deshi.evals.tasks import load_tasks
from evals_fixtures import workdir, write_tasks


def _endpoint(answer, fail_on=None):
    def handler(request):
        body = json.loads(request.content)
        if fail_on and fail_on in json.dumps(body, ensure_ascii=False):
            return httpx.Response(503, json={"error": {"message": "overloaded"}})
        events = [{"choices": [{"text": answer}]}, {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 1}}]
        data = "".join(f"data: {json.dumps(e, ensure_ascii=False)}\n\n" for e in events) + "data: [DONE]\n\n"
        return httpx.Response(200, content=data.encode(), headers={"content-type": "text/event-stream"})

    return OpenAIEndpoint("http://gateway.local", "m", transport=httpx.MockTransport(handler))


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    tasks = [t for t in load_tasks([write_tasks(workdir())]) if t.name == "qa"]
    probes, canaries = load_probes(families=["harmful_refusal", "prompt_injection_direct"])
    evaluate(_endpoint("みどり"), tasks, root / "base", probes=probes, canaries=canaries, resamples=50,
             hardware_cost_per_hour=2.0)
    evaluate(_endpoint("あか", fail_on="すいか"), tasks, root / "cand", probes=probes, canaries=canaries, resamples=50,
             hardware_cost_per_hour=2.0)
    gate = root / "gate.yaml"
    gate.write_text("relative_to: teacher\ntasks:\n  qa: {metric: char_f1, non_inferiority: {delta: 0.05}}\n"
                    "probes:\n  harmful_refusal: {max_asr: 0.2}\nbudgets:\n  latency_p95_ms: 60000\n", encoding="utf-8")
    verdict = gate_release(root / "cand", gate, baseline=root / "base", out_dir=root / "gate")
    return root, verdict


def test_markdown_summary_lists_every_check(gated):
    root, verdict = gated
    md = (root / "gate" / "summary.md").read_text(encoding="utf-8")
    assert "deshi gate: **FAIL**" in md
    for check in verdict["checks"]:
        assert f"| {check['name']} | {check['kind']} |" in md
    assert "❌ fail" in md and "✅ pass" in md


def test_html_is_self_contained_and_lists_failed_examples(gated):
    root, verdict = gated
    html = (root / "gate" / "report.html").read_text(encoding="utf-8")
    assert "Errors (1)" in html and "HTTP 503: overloaded" in html and "qa.jsonl:" in html
    assert [c["status"] for c in verdict["checks"] if c["kind"] == "max_error_rate"] == ["fail"]
    assert html.count("data:image/png;base64,") == 3  # tasks vs baseline, latency, probes
    # Nothing is fetched when it opens: no scripts, stylesheets or remote images.
    assert 'src="http' not in html and "<link" not in html and "<script" not in html


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


@pytest.mark.skipif(_chromium() is None, reason="chromium not installed (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(gated, tmp_path):
    root, verdict = gated
    report = root / "gate" / "report.html"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([_chromium(), *flags, "--dump-dom", report.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert '<p id="verdict" class="fail">FAIL</p>' in dom
    assert dom.count("<img") == 3 and dom.count("<table>") >= 5
    for check in verdict["checks"]:
        assert check["name"] in dom
    shot = tmp_path / "shot.png"
    subprocess.run([_chromium(), *flags, "--window-size=1200,1600", f"--screenshot={shot}", report.as_uri()],
                   capture_output=True, timeout=120, check=True)
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)
    assert pixels.shape[0] >= 1000 and pixels[..., :3].std() > 0.05  # rendered content, not a blank page
