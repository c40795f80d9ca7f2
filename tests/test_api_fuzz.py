"""Property-based fuzzing of the REST API from its own OpenAPI document (schemathesis): every
operation, called through the WSGI app (no network) with generated parameters and bodies, as
the clerk (the role with the widest write access), never answers 5xx.

It runs against an instance of its own (SQLite, demo data): the fuzzer creates, changes and
deletes records at random, which the shared test database must not suffer."""
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.conftest import api_token, own_demo_app, own_sqlite

pytestmark = own_sqlite

EXAMPLES = 10  # per operation: ~140 operations in about a minute


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory, seed_template_dir):
    # Tokens must outlive the run; the default (15 minutes) is enough but say it.
    return own_demo_app(seed_template_dir, tmp_path_factory.mktemp("fuzz"),
                        JWT_ACCESS_TOKEN_EXPIRES=3600)


@pytest.fixture(scope="module")
def clerk_headers(fuzz_app):
    return {"Authorization": f"Bearer {api_token(fuzz_app.test_client(), 'vanthu')}"}


def api_schema(app, headers):
    return schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=headers)


def fuzz(operation, headers, failures):
    """Run one operation's generated cases; keep the first 5xx (no shrinking: it is slow,
    and the case as generated is reproducible with derandomize)."""
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                         operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=strategy)
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case):
        sent = dict(case.headers or {})
        if case.path != "/api/v1/security/login":
            sent.update(headers)
        response = case.call(headers=sent)
        if response.status_code >= 500:
            if not failures or failures[-1][0] != operation.label:  # hypothesis replays it
                    failures.append((operation.label, case.as_curl_command(),
                                 response.status_code, response.text[:300]))
            raise ServerError

    try:
        run()
    except ServerError:
        pass


class ServerError(Exception):
    pass


def openapi_document(app):
    admin = {"Authorization": f"Bearer {api_token(app.test_client(), 'quantri')}"}
    return app.test_client().get("/api/v1/_openapi", headers=admin).get_json()


def test_every_path_parameter_is_declared(fuzz_app):
    """The hand-written routes (`/<int:pk>/actions/<action>`) declare their path parameters,
    so that a client generator or a fuzzer can reach them ({pk} was left out before)."""
    missing = []
    for path, operations in openapi_document(fuzz_app)["paths"].items():
        wanted = set(re.findall(r"{(\w+)}", path))
        for method, operation in operations.items():
            declared = {p["name"]: p for p in operation.get("parameters", [])
                        if p.get("in") == "path"}
            if wanted - set(declared) or not all(p.get("required") for p in declared.values()):
                missing.append(f"{method.upper()} {path}: {sorted(wanted - set(declared))}")
    assert not missing, "\n".join(missing)
    paths = openapi_document(fuzz_app)["paths"]
    assert paths["/api/v1/incoming/{pk}/actions/{action}"]["post"]["parameters"][:2] == [
        {"in": "path", "name": "pk", "required": True, "schema": {"type": "integer"}},
        {"in": "path", "name": "action", "required": True, "schema": {"type": "string"}}]


def test_no_generated_request_gets_a_server_error(fuzz_app, clerk_headers):
    # The document itself is for administrators (Swagger is in the security panel).
    admin = {"Authorization": f"Bearer {api_token(fuzz_app.test_client(), 'quantri')}"}
    schema = api_schema(fuzz_app, admin)
    documented = sum(1 for operations in openapi_document(fuzz_app)["paths"].values()
                     for method in operations if method in ("get", "post", "put", "delete"))
    failures, operations = [], 0
    for result in schema.get_all_operations():
        fuzz(result.ok(), clerk_headers, failures)
        operations += 1
    assert operations == documented > 130  # every operation of the document, none skipped
    assert not failures, "\n".join(map(str, failures))
