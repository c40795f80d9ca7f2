"""Issue 13, points 8, 10 and 11: nothing leaks by reference.

8. A reference typed in a form or a JSON body (a draft's reply_to_id and replaces_id) is
   checked against the caller's visibility before it is stored, and a stored reference is
   shown only to whoever may see the record it points to.
10. The audit trail never shows the content of a secret document (excerpt, direction, notes,
   file names): the administrator sees the action, the actor and the time.
11. The next number of a register is the clerk's; the registers are for the clerk and the
   leaders who see every document; the overdue list stays scoped to what each person sees.
"""
import io
import json
import uuid
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import or_, select

from app.audit.models import AuditEvent
from app.core.timefmt import local_now, utcnow
from app.documents import services as incoming
from app.documents.models import IncomingDocument
from app.outgoing import services as outgoing
from app.outgoing.models import ISSUED_STATE, RECALLED, Draft, OutgoingDocument
from tests.conftest import form_of, pdf, user
from tests.incoming_helpers import entry, ids
from tests.test_outgoing import approved_draft, docx_bytes, issue
from tests.test_outgoing import ids as outgoing_ids

NOT_FOUND_INCOMING = "Không tìm thấy văn bản đến này, hoặc bạn không có quyền xem văn bản này."
NOT_FOUND_OUTGOING = "Không tìm thấy văn bản đi này, hoặc bạn không có quyền xem văn bản này."
REDACTED = "(nội dung mật)"


def marker():
    return uuid.uuid4().hex[:10]


def register(app, session, submit=True, file_name="van-ban.pdf", **overrides):
    """An incoming document registered by the clerk, with a unique number/symbol."""
    overrides.setdefault("number_symbol", f"{uuid.uuid4().int % 10**6}/{marker()[:6].upper()}")
    with app.test_request_context():
        return incoming.register_incoming(session, user(session, "vanthu"),
                                          entry(session, **overrides), [(pdf(), file_name)],
                                          submit=submit)


def tu_phap_document(app, session, **overrides):
    """A document of the Tư pháp field: chuyenvien (CCHC) and truongphong do not see it."""
    return register(app, session, field_id=ids(session)["field_tp"], **overrides)


def draft_json(session, **overrides):
    known = outgoing_ids(session)
    body = {"document_type_id": known["cong_van"], "urgency_id": known["urgency"],
            "secrecy_id": known["secrecy"], "signer_id": known["signer_director"],
            "drafting_department_id": known["cchc"],
            "excerpt": f"V/v dự thảo thử tham chiếu {marker()}"}
    body.update(overrides)
    return body


def drafts_with(session, excerpt):
    session.expire_all()
    return session.scalars(select(Draft).where(Draft.excerpt == excerpt)).all()


# ---------------------------------------------------------------- 8. references

def test_web_draft_refuses_a_reply_to_an_invisible_or_missing_document(app, login_as,
                                                                       db_session):
    hidden = tu_phap_document(app, db_session)
    seen = register(app, db_session)  # CCHC field: the officer sees it
    known = outgoing_ids(db_session)
    client = login_as("chuyenvien")
    page = client.get("/drafts/new").get_data(as_text=True)

    def post(reply_to):
        excerpt = f"V/v trả lời thử {marker()}"
        response = client.post("/drafts/new", data=form_of(
            page, document_type_id=str(known["cong_van"]), excerpt=excerpt,
            urgency_id=str(known["urgency"]), secrecy_id=str(known["secrecy"]),
            drafting_department_id=str(known["cchc"]), reply_to_id=reply_to),
            content_type="multipart/form-data")
        return response, excerpt

    for reply_to in (str(hidden.id), "2147483647"):
        response, excerpt = post(reply_to)
        html = response.get_data(as_text=True)
        assert response.status_code == 422, reply_to
        assert NOT_FOUND_INCOMING in html
        assert hidden.number_symbol not in html
        assert drafts_with(db_session, excerpt) == []
    response, excerpt = post("99999999999999999999")  # refused by the form's own bounds
    assert response.status_code == 422 and drafts_with(db_session, excerpt) == []
    response, excerpt = post(str(seen.id))
    assert response.status_code == 302
    assert [d.reply_to_id for d in drafts_with(db_session, excerpt)] == [seen.id]


def test_api_draft_refuses_a_reply_to_an_invisible_document(app, client, api_as, db_session):
    hidden = tu_phap_document(app, db_session)
    headers = api_as("chuyenvien")
    for reply_to in (hidden.id, 2**31 - 1, "abc"):
        body = draft_json(db_session, reply_to_id=reply_to)
        response = client.post("/api/v1/draft/", headers=headers, json=body)
        assert response.status_code == 422, (reply_to, response.get_data(as_text=True))
        assert response.get_json()["message"]["reply_to_id"] == [NOT_FOUND_INCOMING]
        assert drafts_with(db_session, body["excerpt"]) == []
    # and a draft of one's own cannot be pointed at it afterwards
    body = draft_json(db_session)
    created = client.post("/api/v1/draft/", headers=headers, json=body)
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    changed = client.put(f"/api/v1/draft/{pk}", headers=headers,
                         json={"reply_to_id": hidden.id})
    assert changed.status_code == 422
    assert changed.get_json()["message"]["reply_to_id"] == [NOT_FOUND_INCOMING]
    db_session.expire_all()
    assert db_session.get(Draft, pk).reply_to_id is None
    # the office leader, who sees every incoming document, may
    clerk_body = draft_json(db_session, reply_to_id=hidden.id)
    allowed = client.post("/api/v1/draft/", headers=api_as("lanhdaovp"), json=clerk_body)
    assert allowed.status_code == 201, allowed.get_json()


def test_a_draft_cannot_mark_an_arbitrary_issued_document_replaced(app, client, api_as,
                                                                  db_session):
    with app.test_request_context():
        target = issue(db_session, approved_draft(db_session))  # CCHC, sent to TCBC
        recalled = issue(db_session, approved_draft(db_session))
        outgoing.recall(db_session, user(db_session, "vanthu"), recalled, "Sai thể thức.")
    # cv.thanhtra (another unit and field, not a recipient) does not see `target`
    stranger = api_as("cv.thanhtra")
    assert client.get(f"/api/v1/outgoing/{target.id}", headers=stranger).status_code == 404
    body = draft_json(db_session, replaces_id=target.id)
    response = client.post("/api/v1/draft/", headers=stranger, json=body)
    assert response.status_code == 422
    assert response.get_json()["message"]["replaces_id"] == [NOT_FOUND_OUTGOING]
    assert drafts_with(db_session, body["excerpt"]) == []
    # seen, but recalled: not a document that may be replaced
    officer = api_as("chuyenvien")
    body = draft_json(db_session, replaces_id=recalled.id)
    response = client.post("/api/v1/draft/", headers=officer, json=body)
    assert response.status_code == 422
    assert response.get_json()["message"]["replaces_id"] == [
        "Chỉ thay thế được văn bản đang có hiệu lực."]
    assert drafts_with(db_session, body["excerpt"]) == []
    # a draft the stranger already has cannot be repointed either
    own = client.post("/api/v1/draft/", headers=stranger, json=draft_json(db_session))
    assert own.status_code == 201
    changed = client.put(f"/api/v1/draft/{own.get_json()['id']}", headers=stranger,
                         json={"replaces_id": target.id})
    assert changed.status_code == 422
    db_session.expire_all()
    assert db_session.get(Draft, own.get_json()["id"]).replaces_id is None
    assert db_session.get(OutgoingDocument, target.id).state == ISSUED_STATE
    assert db_session.get(OutgoingDocument, recalled.id).state == RECALLED
    # the web's own path (Thay thế on the document page) needs the document too
    from tests.conftest import login

    login(client, "cv.thanhtra")
    page = client.get("/drafts/new").get_data(as_text=True)
    refused = client.post(f"/outgoing/{target.id}/replace", data=form_of(page))
    assert refused.status_code == 404


def test_a_stored_reference_is_shown_only_to_who_may_see_it(app, client, db_session):
    """A draft of the officer answers a Tư pháp document assigned to her personally: her unit
    leader sees the draft, not the document it answers."""
    from tests.conftest import login

    hidden = tu_phap_document(app, db_session)
    with app.test_request_context():
        incoming.assign(db_session, user(db_session, "lanhdao"), hidden, "",
                        [{"role": "lead", "user_id": user(db_session, "chuyenvien").id}])
        draft = outgoing.create_draft(db_session, user(db_session, "chuyenvien"), {
            **draft_json(db_session), "reply_to_id": hidden.id}, [(docx_bytes(), "tl.docx")])
    login(client, "chuyenvien")
    assert hidden.number_symbol in client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    login(client, "truongphong")
    assert client.get(f"/incoming/{hidden.id}").status_code == 404
    shown = client.get(f"/drafts/{draft.id}")
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    assert draft.excerpt in html and hidden.number_symbol not in html


def test_the_dossier_history_does_not_give_back_a_hidden_excerpt(app, client, db_session):
    """The table of contents hides the excerpt of a document the reader may not see; the
    history shown under it must not give it back."""
    from tests.conftest import login
    from tests.dossier_helpers import link, new_dossier

    tag = marker()
    hidden = tu_phap_document(app, db_session, excerpt=f"V/v nội dung riêng {tag}")
    with app.test_request_context():
        incoming.assign(db_session, user(db_session, "lanhdao"), hidden, "",
                        [{"role": "lead", "user_id": user(db_session, "chuyenvien").id}])
    dossier = new_dossier(app, db_session, "chuyenvien")
    link(app, db_session, dossier, "chuyenvien", "incoming", hidden.id)
    login(client, "truongphong")  # sees his unit's dossiers, not this document
    assert client.get(f"/incoming/{hidden.id}").status_code == 404
    page = client.get(f"/dossiers/{dossier.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "(Không có quyền xem nội dung văn bản này)" in html
    assert tag not in html


# ---------------------------------------------------------------- 10. the audit trail

def audit_page(client, object_type, object_id):
    """The administrator's trail filtered on one record (FAB filters: 3 = equal)."""
    return client.get(f"/audit/list/?_flt_3_object_type={object_type}"
                      f"&_flt_3_object_id={object_id}&psize_AuditView=100")


def audit_rows(session, object_type, object_id):
    session.expire_all()
    return session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))).all()


def secret_document(app, session, tag):
    known = ids(session)
    document = register(app, session, secrecy_id=known["secret"],
                        register_id=known["secret_register"],
                        excerpt=f"V/v phương án bảo vệ mục tiêu {tag}",
                        notes=f"Ghi chú mật {tag}", file_name=f"phuong-an-{tag}.pdf")
    with app.test_request_context():
        incoming.assign(session, user(session, "lanhdao"), document,
                        f"Ý kiến chỉ đạo mật {tag}",
                        [{"role": "lead", "user_id": user(session, "chuyenvien").id}])
    return document


def test_the_trail_stores_no_content_of_a_secret_document(app, db_session):
    tag = marker()
    document = secret_document(app, db_session, tag)
    with app.test_request_context():
        document.excerpt = f"V/v phương án đã sửa {tag}"
        document.notes = f"Ghi chú đã sửa {tag}"
        db_session.commit()
    db_session.expire_all()
    leaked = db_session.scalars(select(AuditEvent).where(or_(
        AuditEvent.summary.contains(tag), AuditEvent.changes.contains(tag)))).all()
    assert leaked == []
    lines = audit_rows(db_session, "incoming_document", document.id)
    assert {line.action for line in lines} >= {"create", "update"}
    update = next(line for line in lines if line.action == "update"
                  and "excerpt" in json.loads(line.changes))
    assert json.loads(update.changes)["excerpt"] == [REDACTED, REDACTED]
    # a document that is not secret keeps its wording in the trail (the rule is not "hide all")
    plain = register(app, db_session, excerpt=f"V/v việc thường {tag}")
    assert any(tag in (line.summary or "") for line in
               audit_rows(db_session, "incoming_document", plain.id))


def test_the_administrator_sees_action_actor_and_time_not_the_content(app, login_as,
                                                                      db_session):
    tag = marker()
    document = secret_document(app, db_session, tag)
    # a line written before this rule existed (or before the document was classified)
    db_session.add(AuditEvent(at=utcnow(), actor_name="vanthu",
                              action="update", object_type="incoming_document",
                              object_id=str(document.id),
                              summary=f"{document.number_symbol} – cũ {tag}",
                              changes=json.dumps({"direction": ["", f"cũ {tag}"]},
                                                 ensure_ascii=False)))
    db_session.commit()
    client = login_as("quantri")
    response = audit_page(client, "incoming_document", document.id)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert tag not in html
    assert REDACTED in html and "vanthu" in html and "Tạo mới" in html
    old = db_session.scalar(select(AuditEvent.id).where(AuditEvent.summary.contains(tag)))
    line = client.get(f"/audit/show/{old}").get_data(as_text=True)
    assert tag not in line and REDACTED in line and "Ý kiến chỉ đạo" in line  # field named
    export = client.get(f"/audit/export?_flt_3_object_type=incoming_document"
                        f"&_flt_3_object_id={document.id}")
    cells = [str(c.value) for row in load_workbook(io.BytesIO(export.data)).active.iter_rows()
             for c in row]
    assert any(REDACTED in c for c in cells) and not any(tag in c for c in cells)
    # the routing lines and the file of the document say nothing either
    for object_type in ("incoming_assignment", "document_file"):
        listed = client.get(f"/audit/list/?_flt_3_object_type={object_type}"
                            f"&psize_AuditView=100").get_data(as_text=True)
        assert tag not in listed, object_type
    # the same trail still shows an ordinary document's wording
    plain = register(app, db_session, excerpt=f"V/v việc thường {tag}")
    assert tag in audit_page(client, "incoming_document", plain.id).get_data(as_text=True)


def test_secret_drafts_and_references_to_secret_documents_keep_out_of_the_trail(app,
                                                                                 db_session):
    tag = marker()
    document = secret_document(app, db_session, tag)
    with app.test_request_context():
        secret_draft = outgoing.create_draft(db_session, user(db_session, "chuyenvien"), {
            **draft_json(db_session), "excerpt": f"V/v dự thảo mật {tag}",
            "secrecy_id": outgoing_ids(db_session)["secret"], "notes": f"ghi chú {tag}"})
        plain_draft = outgoing.create_draft(db_session, user(db_session, "chuyenvien"),
                                            draft_json(db_session))
        plain_draft.reply_to = db_session.get(IncomingDocument, document.id)
        db_session.commit()
    db_session.expire_all()
    lines = audit_rows(db_session, "draft", secret_draft.id) + \
        audit_rows(db_session, "draft", plain_draft.id)
    assert {line.action for line in lines} >= {"create", "update"}
    assert not [line for line in lines
                if tag in (line.summary or "") or tag in (line.changes or "")]
    update = next(line for line in audit_rows(db_session, "draft", plain_draft.id)
                  if line.action == "update" and "reply_to" in (line.changes or ""))
    assert json.loads(update.changes)["reply_to"][1] == REDACTED


def test_a_download_of_a_secret_file_keeps_the_file_name_out_of_the_trail(app, login_as,
                                                                           db_session):
    tag = marker()
    document = secret_document(app, db_session, tag)
    clerk = login_as("vanthu")
    file_id = document.files[0].id
    assert clerk.get(f"/incoming/{document.id}/files/{file_id}").status_code == 200
    downloads = [line for line in audit_rows(db_session, "incoming_document", document.id)
                 if line.action == "download"]
    assert len(downloads) == 1 and tag not in (downloads[0].summary or "")
    assert downloads[0].actor_name == "vanthu"


# ---------------------------------------------------------------- 11. registers and numbers

@pytest.mark.parametrize("username", ["chuyenvien", "truongphong", "lanhdao"])
def test_the_next_number_of_a_register_is_the_clerks(login_as, db_session, username):
    register_id = ids(db_session)["secret_register"]
    response = login_as(username).get(f"/incoming/preview?register_id={register_id}")
    assert response.status_code == 403
    assert "number" not in response.get_data(as_text=True)


def test_the_clerk_still_gets_the_next_number(login_as, db_session):
    register_id = ids(db_session)["secret_register"]
    response = login_as("vanthu").get(f"/incoming/preview?register_id={register_id}")
    assert response.status_code == 200
    assert response.get_json()["number"] == incoming.next_number_preview(db_session,
                                                                         register_id)


@pytest.mark.parametrize("username", ["chuyenvien", "truongphong"])
def test_officers_and_unit_leaders_do_not_read_the_registers(app, login_as, db_session,
                                                            username):
    known = ids(db_session)
    client = login_as(username)
    for path in (f"/incoming/book?register_id={known['secret_register']}",
                 f"/incoming/book?register_id={known['register']}&kind=tracking",
                 f"/incoming/book?register_id={known['secret_register']}&format=xlsx",
                 f"/outgoing/book?register_id={outgoing_ids(db_session)['register_out']}",
                 "/outgoing/book?format=xlsx"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Không có quyền truy cập" in response.get_data(as_text=True)


@pytest.mark.parametrize("username", ["vanthu", "lanhdao", "lanhdaovp"])
def test_the_clerk_and_the_leaders_read_the_registers(login_as, db_session, username):
    known = ids(db_session)
    client = login_as(username)
    assert client.get(f"/incoming/book?register_id={known['secret_register']}"
                      ).status_code == 200
    assert client.get(f"/outgoing/book?register_id="
                      f"{outgoing_ids(db_session)['register_out']}").status_code == 200


def test_the_overdue_list_stays_scoped(app, login_as, db_session):
    """Officers and unit leaders keep their overdue list (by design): it shows what they may
    see, never a secret document assigned to someone else."""
    known = ids(db_session)
    now = local_now().replace(second=0, microsecond=0, tzinfo=None)
    late = {"arrival_at": now - timedelta(days=10),
            "document_date": (now - timedelta(days=11)).date()}
    tag = marker()
    secret = register(app, db_session, secrecy_id=known["secret"],
                      register_id=known["secret_register"], excerpt=f"V/v quá hạn mật {tag}",
                      **late)
    mine = register(app, db_session, excerpt=f"V/v quá hạn của tôi {tag}", **late)
    with app.test_request_context():
        leader = user(db_session, "lanhdao")
        incoming.assign(db_session, leader, secret, "", [
            {"role": "lead", "user_id": user(db_session, "cv.tcbc1").id,
             "deadline": now.date() - timedelta(days=2)}])
        incoming.assign(db_session, leader, mine, "", [
            {"role": "lead", "user_id": user(db_session, "chuyenvien").id,
             "deadline": now.date() - timedelta(days=2)}])
    for username in ("chuyenvien", "truongphong"):
        html = login_as(username).get("/incoming/overdue").get_data(as_text=True)
        assert f"V/v quá hạn của tôi {tag}" in html, username
        assert f"V/v quá hạn mật {tag}" not in html, username
    html = login_as("lanhdao").get("/incoming/overdue").get_data(as_text=True)
    assert f"V/v quá hạn mật {tag}" in html and f"V/v quá hạn của tôi {tag}" in html
    assert db_session.get(IncomingDocument, secret.id).is_secret
