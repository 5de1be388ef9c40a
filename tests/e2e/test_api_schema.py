"""Property-based: schemathesis sends generated requests to every operation of /openapi.json.

With an admin token (so most requests get past authentication) and a database holding two
escalations (ESC-1 normal, ESC-2 security), every answer must be documented: no 5xx, a status
code the operation lists, and a body that matches the documented schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis import checks as st_checks

from api_support import API, Api, example, running_api
from escalation.domain.access import Role
from escalation.web.api import router
from escalation.web.intake import router as intake_router


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    url = f"sqlite:///{tmp_path_factory.mktemp('schema') / 'escalation.db'}"
    with running_api(url) as api:
        admin = api.token("ada", Role.ADMIN)
        for name in ("01", "04"):
            opened = api.client.post(f"{API}/escalations", json={"ticket": example(name)},
                                     headers=admin)
            assert opened.status_code == 201, opened.text
        yield api


@pytest.fixture(scope="module")
def api_schema(running: Api) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", running.client.app)


@pytest.fixture(scope="module")
def admin_headers(running: Api) -> dict[str, str]:
    return running.token("ada", Role.ADMIN)


# Every operation of the router, as (method, path); the app's schema is checked to hold them.
_ROUTES = [route for route in (*router.routes, *intake_router.routes)
           if isinstance(route, APIRoute)]
OPERATIONS = sorted((method, route.path) for route in _ROUTES for method in route.methods)
# Those with something that can be sent wrong: a body or query parameters (a path id is any
# text, so an operation with only that has no invalid request to generate).
NEGATABLE = {(method, route.path) for route in _ROUTES for method in route.methods
             if route.body_field is not None or route.dependant.query_params}
CASES = [pytest.param(method, path, mode, id=f"{method} {path} {label}")
         for method, path in OPERATIONS
         for mode, label in ((GenerationMode.POSITIVE, "valid"),
                             (GenerationMode.NEGATIVE, "invalid"))
         if mode is GenerationMode.POSITIVE or (method, path) in NEGATABLE]

CHECKS = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
    st_checks.response_headers_conformance,
]


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_every_answer_is_documented(api_schema: Any, admin_headers: dict[str, str],
                                    method: str, path: str, mode: GenerationMode) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        case.call_and_validate(headers=admin_headers, checks=CHECKS)

    run()


def test_the_schema_has_every_operation(api_schema: Any) -> None:
    operations = {f"{op.method.upper()} {op.path}"
                  for op in (result.ok() for result in api_schema.get_all_operations())}
    assert {f"{m} {p}" for m, p in OPERATIONS} == operations
    assert {
        f"POST {API}/assess", f"POST {API}/briefs", f"POST {API}/lint",
        f"POST {API}/escalations", f"GET {API}/escalations",
        f"GET {API}/escalations/{{escalation_id}}",
        f"GET {API}/escalations/{{escalation_id}}/timeline",
        f"GET {API}/escalations/{{escalation_id}}/draft-update",
        f"POST {API}/escalations/{{escalation_id}}/ack",
        f"POST {API}/escalations/{{escalation_id}}/start",
        f"POST {API}/escalations/{{escalation_id}}/follow-ups",
        f"POST {API}/escalations/{{escalation_id}}/severity",
        f"POST {API}/escalations/{{escalation_id}}/deescalate",
        f"POST {API}/escalations/{{escalation_id}}/checklist",
        f"POST {API}/escalations/{{escalation_id}}/resolve",
        f"POST {API}/escalations/{{escalation_id}}/close",
        f"POST {API}/escalations/{{escalation_id}}/reopen",
        f"POST {API}/escalations/{{escalation_id}}/link",
        f"GET {API}/followups", f"POST {API}/patterns", f"GET {API}/patterns",
        f"GET {API}/audit/verify", f"GET {API}/healthz",
    } <= operations
