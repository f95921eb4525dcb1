"""schemathesis against the app's own OpenAPI schema: no generated request may produce a 5xx."""

from __future__ import annotations

import asyncio

import pytest

from test_serve_support import build_tiny_model, make_config

schemathesis = pytest.importorskip("schemathesis")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from deshi.serve.app import build, create_app

    tmp = tmp_path_factory.mktemp("st")
    model = build_tiny_model(tmp / "model", max_positions=64)
    gateway = build(make_config(tmp, model), force=True)
    yield create_app(gateway)
    asyncio.run(gateway.close())


def test_no_server_errors_on_generated_requests(app):
    from hypothesis import HealthCheck, given, settings

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = []

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=schema["/v1/chat/completions"]["POST"].as_strategy())
    def check_chat(case):
        response = case.call()
        if response.status_code >= 500:
            failures.append((case.body, response.status_code, response.text[:200]))

    check_chat()
    for path, method in (("/v1/completions", "POST"), ("/v1/models", "GET"), ("/health", "GET")):
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=schema[path][method].as_strategy())
        def check(case):
            response = case.call()
            if response.status_code >= 500:
                failures.append((case.body, response.status_code, response.text[:200]))

        check()
    assert not failures, failures[:3]
