"""Schemathesis over the live server's /openapi.json: no generated request may cause a 5xx.

It uses schemathesis' Python API (the pytest plugin's fixture mode does not run under pytest 9 here) and keeps
the run bounded: a few examples per operation, positive and negative generation. A longer run (docs/reliability.md):
``OM_SCHEMATHESIS_EXAMPLES=1000 .venv/bin/python -m pytest -p no:randomly tests/api/test_api_schemathesis.py``.
"""

from __future__ import annotations

import json
import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.live import KEYS

EXAMPLES_PER_OPERATION = int(os.environ.get("OM_SCHEMATHESIS_EXAMPLES", "25"))


def test_no_generated_request_causes_a_server_error(base_url: str) -> None:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18
    failures: list[str] = []
    for operation in operations:
        strategy: st.SearchStrategy[schemathesis.Case] = st.one_of(
            operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
            operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
        )

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers={"x-api-key": KEYS["alice"]}, timeout=30)
            if response.status_code >= 500 or (response.status_code >= 400 and not _is_error_body(response.text)):
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}")

        call()
    assert failures == []


def _is_error_body(text: str) -> bool:
    """``{"err": code, "message": sentence}``: the shape every 4xx has."""
    try:
        body = json.loads(text)
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body.get("err")) and bool(str(body.get("message", "")).strip())
