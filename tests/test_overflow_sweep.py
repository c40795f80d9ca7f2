"""Every route of the URL map, fed overflowing and type-confused values — in its path, in the
usual query parameters, in a form, in a JSON body, in FAB's rison `q` — as the clerk and as the
network administrator (a token for /api/): never a 500.

Values are sampled per rule (a rotation, not the cartesian product) to stay well under a
minute. Writes use only ids that cannot exist in the path, so the shared database is left as it
was; the routes that end a session or start a backup are left out (their own tests cover them).
"""
import itertools
import re

import pytest

from tests.conftest import api_token, csrf_token, login

BIG = "99999999999999999999"
BAD_VALUES = [BIG, "-1", "abc", "1.5", "²", "0", "-99999999999999999999", "1e400", " 7 "]
# Path values that find no row, whatever the converter (writes are sent only with these).
NOWHERE = [BIG, "-1", "abc", "1.5", "²", "0"]
QUERY_NAMES = [
    "id", "pk", "register_id", "document_id", "dossier_id", "category_id", "category",
    "document_type_id", "urgency_id", "outgoing_id", "officer_id", "line_id", "plan_item_id",
    "reply_to", "reply_to_id", "after_id", "page", "page_size", "year", "week", "day", "days",
    "idle_days", "unit", "units", "person", "people", "from", "to", "date", "deadline", "last",
    "box", "state", "status", "kind", "scope", "format", "direction", "next", "_flt_0_id",
    "_flt_0_year", "_flt_0_register", "_flt_1_year", "_oc_x", "page_x", "psize_x",
]
RISON = [
    f"(page:{BIG})", f"(page:0,page_size:{BIG})", "(page:-1,page_size:-1)",
    "(filters:!((col:name,opr:ct,value:5)))", "(filters:!((col:x,opr:ct,value:5)))",
    f"(filters:!((col:id,opr:eq,value:{BIG})))", "(filters:!((col:year,opr:eq,value:abc)))",
    f"(order_column:id,order_direction:desc,page:{BIG},page_size:1)",
    "(columns:!(nope),keys:!(nope))", "(filters:5)", "5", "(", "(page:1.5)",
]
JSON_BODIES = [
    {"register_id": int(BIG), "year": 99999, "reply_to_id": int(BIG), "id": -1},
    {"register_id": BIG, "year": "abc", "reply_to_id": "²", "page": 1.5, "line_id": BIG},
    {"year": 0, "pk": 1e300, "document_type_id": -1, "lines": [{"department_id": BIG}]},
    {"year": -5, "name": "=1+1", "direction": "in", "officer_id": "1.5", "file_id": []},
]
# End the session, change the account, run a backup or log in: their own tests.
LEFT_OUT = re.compile(r"^/(logout|login|account/|backups/run|api/v1/security/|lang/|static/"
                      r"|appbuilder/static|swagger)")


def _fill(rule, value):
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, path)
    return path


def _requests(rules):
    """(method, path, query, body) per rule: every path value once for GET, a query string of
    bad values in rotation, and for writes the nowhere ids with a bad form or JSON body."""
    values = itertools.cycle(BAD_VALUES)
    risons = itertools.cycle(RISON)
    bodies = itertools.cycle(JSON_BODIES)
    names = itertools.cycle(QUERY_NAMES)
    for rule in rules:
        methods = rule.methods & {"GET", "POST", "PUT", "DELETE"}
        api = rule.rule.startswith("/api/")
        if "GET" in methods:
            for value in (["1"] + NOWHERE) if rule.arguments else ["1", "1", "1"]:
                query = {next(names): next(values) for _ in range(8)}
                if api:
                    query["q"] = next(risons)
                yield "GET", _fill(rule, value.strip()), query, None
        for method in sorted(methods - {"GET"}):
            for value in NOWHERE[:3] if rule.arguments else ["", ""]:
                query = {next(names): next(values) for _ in range(4)}
                body = next(bodies)
                if not api:
                    body = {key: str(val) for key, val in body.items()}
                yield method, _fill(rule, value), query, body


@pytest.fixture(scope="module")
def rules(app):
    found = [rule for rule in app.url_map.iter_rules() if not LEFT_OUT.match(rule.rule)]
    assert len(found) > 300  # the whole application, not a part of it
    return sorted(found, key=lambda rule: rule.rule)


def _sweep(app, username, rules):
    client = app.test_client()
    page = login(client, username)
    assert "Đăng xuất" in page.get_data(as_text=True)
    token = csrf_token(client.get("/").get_data(as_text=True))
    bearer = {"Authorization": f"Bearer {api_token(client, username)}"}
    errors, sent = [], 0
    for method, path, query, body in _requests(rules):
        if path.startswith("/api/"):
            kwargs = {"headers": bearer}
            if body is not None:
                kwargs["json"] = body
        else:
            kwargs = {"data": {**body, "csrf_token": token}} if body is not None else {}
        response = client.open(path, method=method, query_string=query, **kwargs)
        sent += 1
        if response.status_code >= 500:
            errors.append(f"{method} {path} {query} {body} → {response.status_code}")
    assert sent > 1000
    return errors


@pytest.mark.parametrize("username", ["vanthu", "quantri"])
def test_no_route_answers_500_to_overflowing_or_confused_values(app, rules, username):
    errors = _sweep(app, username, rules)
    assert not errors, "\n".join(errors)


# ---------------------------------------------------------------- the examples of the issue

def test_an_overflowing_register_id_in_the_address_finds_nothing(login_as):
    client = login_as("vanthu")
    for value in (BIG, "-1", "abc", "²", "1.5"):
        page = client.get(f"/incoming/book?register_id={value}")
        assert page.status_code == 200  # the default register, as without the argument
        assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in page.get_data(as_text=True)


def test_an_overflowing_register_id_in_a_form_is_a_field_error(login_as, db_session):
    from app.documents.models import IncomingDocument
    from tests.incoming_helpers import entry

    client = login_as("vanthu")
    page = client.get("/incoming/register").get_data(as_text=True)
    data = entry(db_session)
    excerpt = "V/v sổ không tồn tại 99999999999999999999"
    response = client.post("/incoming/register", data={
        "csrf_token": csrf_token(page), "register_id": BIG,
        "arrival_at": data["arrival_at"].strftime("%d/%m/%Y %H:%M"), "channel": "paper",
        "agency_id": str(data["agency_id"]), "number_symbol": data["number_symbol"],
        "document_date": data["document_date"].strftime("%d/%m/%Y"),
        "document_type_id": str(data["document_type_id"]), "excerpt": excerpt,
        "urgency_id": str(data["urgency_id"]), "secrecy_id": str(data["secrecy_id"])})
    assert response.status_code == 422  # the form again, with its errors
    html = response.get_data(as_text=True)
    assert "Chưa lưu. Vui lòng sửa các lỗi được đánh dấu bên dưới." in html
    assert "Lựa chọn không hợp lệ." in html  # the register field
    assert db_session.query(IncomingDocument).filter_by(excerpt=excerpt).count() == 0


@pytest.mark.parametrize("rison", [
    f"(page:{BIG})", "(page:-1)", "(page_size:0)", f"(page:0,page_size:{BIG})",
    "(filters:!((col:name,opr:ct,value:5)))", "(filters:!((col:name,opr:sw,value:!(1))))",
    f"(filters:!((col:year,opr:eq,value:'{BIG}')))", f"(filters:!((col:year,opr:gt,value:{BIG})))",
])
def test_rison_with_impossible_numbers_is_a_400_in_vietnamese(client, api_as, rison):
    response = client.get(f"/api/v1/register/?q={rison}", headers=api_as("vanthu"))
    assert response.status_code == 400
    assert response.get_json()["message"] == \
        "Tham số tìm kiếm, lọc hoặc phân trang không hợp lệ."


def test_rison_within_range_and_search_texts_still_work(client, api_as):
    headers = api_as("vanthu")
    listed = client.get("/api/v1/register/?q=(page:0,page_size:5,filters:!((col:name,opr:ct,"
                        "value:'sổ')))", headers=headers)
    assert listed.status_code == 200 and listed.get_json()["count"] >= 1
    # our own resources take q as a search text: a number is a search, not rison
    assert client.get("/api/v1/incoming/?q=5", headers=headers).status_code == 200


def test_grid_filter_with_an_overflowing_number_is_a_400(login_as):
    client = login_as("vanthu")
    page = client.get(f"/documenttypeview/list/?_flt_0_sort_order={BIG}")
    assert page.status_code == 400
    assert "Tham số tìm kiếm, lọc hoặc phân trang không hợp lệ." in page.get_data(as_text=True)
    assert client.get("/documenttypeview/list/?_flt_0_sort_order=1").status_code == 200


@pytest.mark.parametrize("body", [{"year": int(BIG)}, {"year": 2026, "document_type": 1e300},
                                  {"name": "x", "year": -int(BIG)}])
def test_json_with_an_overflowing_number_is_a_400_in_vietnamese(client, api_as, body):
    response = client.post("/api/v1/register/", headers=api_as("vanthu"),
                           json={"name": "Sổ tràn số", "direction": "in", **body})
    assert response.status_code == 400
    assert response.get_json()["message"] == "Nội dung JSON có số vượt quá giới hạn cho phép."


@pytest.mark.parametrize("year", ["0", "-5", "99999", "1944"])
def test_a_register_year_out_of_range_is_refused(client, api_as, login_as, db_session, year):
    from datetime import date

    from app.catalogs.models import Register

    message = f"Năm của sổ phải từ 1945 đến {date.today().year + 1}."
    name = f"Sổ năm {year}"
    response = client.post("/api/v1/register/", headers=api_as("vanthu"),
                           json={"name": name, "direction": "in", "year": int(year)})
    assert response.status_code == 422
    assert response.get_json()["message"] == {"year": [message]}
    web = login_as("vanthu")
    page = web.get("/registerview/add").get_data(as_text=True)
    response = web.post("/registerview/add", data={
        "csrf_token": csrf_token(page), "name": name, "direction": "in", "year": year})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db_session.query(Register).filter_by(name=name).count() == 0


@pytest.mark.parametrize("reply_to", ["999999", BIG, "-1"])
def test_a_reply_to_document_that_does_not_exist_is_a_field_error(client, api_as, db_session,
                                                                 reply_to):
    from app.outgoing.models import Draft
    from tests.test_outgoing import ids

    known = ids(db_session)
    excerpt = f"V/v trả lời văn bản {reply_to}"
    response = client.post("/api/v1/draft/", headers=api_as("chuyenvien"), json={
        "document_type_id": known["cong_van"], "excerpt": excerpt,
        "urgency_id": known["urgency"], "secrecy_id": known["secrecy"],
        "signer_id": known["signer_director"], "drafting_department_id": known["cchc"],
        "reply_to_id": reply_to})
    assert response.status_code == 422, response.get_json()
    assert "reply_to_id" in response.get_json()["message"]
    login(client, "chuyenvien")
    page = client.get("/drafts/new").get_data(as_text=True)
    response = client.post("/drafts/new", data={
        "csrf_token": csrf_token(page), "document_type_id": str(known["cong_van"]),
        "excerpt": excerpt, "urgency_id": str(known["urgency"]),
        "secrecy_id": str(known["secrecy"]), "signer_id": str(known["signer_director"]),
        "drafting_department_id": str(known["cchc"]), "reply_to_id": reply_to})
    assert response.status_code == 422  # the form again, with its errors
    assert "Chưa lưu" in response.get_data(as_text=True)
    assert db_session.query(Draft).filter_by(excerpt=excerpt).count() == 0
