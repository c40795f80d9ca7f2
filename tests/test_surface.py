"""The whole surface, as every role: every route answers — allowed ones with a page, forbidden
ones with 403/404 or a redirect to the login — and nothing answers 5xx, whatever the id."""
import re

import pytest

from tests.conftest import ACCOUNTS

SKIP = ("/static", "/appbuilder", "/logout", "/lang/", "/swagger", "/backups/now")
IDS = ["1", "999999", "abc"]


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(SKIP) or "GET" not in rule.methods:
            continue
        yield rule


def concrete_paths(rule):
    """The rule with each variable replaced by a present, an absent and a malformed value."""
    variables = re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule.rule)
    if not variables:
        return [rule.rule]
    paths = []
    for value in IDS:
        path = rule.rule
        for _name in variables:
            path = re.sub(r"<[^<>]+>", value, path, count=1)
        paths.append(path)
    return paths


@pytest.mark.parametrize("username", sorted(ACCOUNTS.values()) + [None])
def test_no_route_answers_5xx(app, client, login_as, username):
    if username:
        client = login_as(username)
    failures = []  # every unexpected answer (a 5xx included), reported together
    for rule in routes(app):
        for path in concrete_paths(rule):
            status = client.get(path).status_code
            if status not in (200, 302, 400, 401, 403, 404, 405, 422):
                failures.append((path, status))
    assert not failures, failures


@pytest.mark.parametrize("username", ["chuyenvien", "vanthu"])
def test_posting_nothing_anywhere_is_never_a_5xx(app, login_as, username):
    client = login_as(username)
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(SKIP) or "POST" not in rule.methods:
            continue
        for path in concrete_paths(rule)[:2]:
            for kwargs in ({"data": {}}, {"json": {}}, {"data": "{broken", "content_type":
                                                        "application/json"}):
                status = client.post(path, **kwargs).status_code
                if status >= 500:
                    failures.append((path, status))
    assert not failures, failures
