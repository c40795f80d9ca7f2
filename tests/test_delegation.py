"""Ủy quyền: a leader away delegates their inbox and signing to a deputy for a period; the
deputy approves and signs the drafts they were to sign ("KT." or "TUQ."), marked "thay mặt …"
in the history, the audit trail and the issued document; the delegation ends by itself.
`acting_for` is what the domains ask."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.audit.models import AuditEvent
from app.core.timefmt import format_date, today_local, utcnow
from app.outgoing import services
from app.outgoing.models import APPROVED, SIGNER_REVIEW, Draft
from app.security import delegation as service
from app.security.delegation import SIGN, Delegation, acting_for
from tests.conftest import csrf_token, user
from tests.test_outgoing import issue, new_draft


@pytest.fixture
def delegations(db_session):
    """Nobody's earlier delegation is open during the test, and the test's own end with it
    (an open one would put drafts in a deputy's box in other tests)."""
    def close_all():
        db_session.execute(update(Delegation).where(Delegation.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
        db_session.commit()
    close_all()
    yield
    close_all()


def add(session, giver, deputy, start, end, inbox=True, sign=True, form="KT."):
    """A delegation written as it is stored (past periods too, which the form refuses)."""
    delegation = Delegation(from_user_id=user(session, giver).id,
                            to_user_id=user(session, deputy).id, start_date=start,
                            end_date=end, reason="Đi công tác", inbox=inbox, sign=sign,
                            signing_form=form if sign else "", created_at=utcnow())
    session.add(delegation)
    session.commit()
    return delegation


def days(n):
    return today_local() + timedelta(days=n)


# ---------------------------------------------------------------- acting_for

def test_acting_for_is_the_people_whose_delegation_covers_today(app, db_session, delegations):
    director, deputy = user(db_session, "lanhdao"), user(db_session, "pgd.thanh")
    assert acting_for(deputy) == []
    add(db_session, "lanhdao", "pgd.thanh", days(-2), days(2))
    assert acting_for(deputy) == [director.id]
    assert acting_for(deputy, SIGN) == [director.id]
    assert acting_for(director) == []  # it goes one way
    assert service.deputies_of(db_session, director.id, SIGN) == [deputy.id]
    assert service.deputies_of(db_session, deputy.id) == []


def test_a_delegation_ends_by_itself_and_starts_on_its_day(app, db_session, delegations):
    deputy = user(db_session, "pgd.thanh")
    add(db_session, "lanhdao", "pgd.thanh", days(-10), days(-1))  # over yesterday
    add(db_session, "pgd.nga", "pgd.thanh", days(1), days(5))  # begins tomorrow
    assert acting_for(deputy) == []
    assert acting_for(deputy, day=days(-1)) == [user(db_session, "lanhdao").id]
    assert acting_for(deputy, day=days(1)) == [user(db_session, "pgd.nga").id]
    # the last day counts, in Vietnam time
    add(db_session, "truongphong", "pgd.thanh", days(-3), days(0))
    assert acting_for(deputy) == [user(db_session, "truongphong").id]


def test_scope_and_revocation(app, db_session, delegations):
    deputy = user(db_session, "pgd.thanh")
    inbox_only = add(db_session, "lanhdao", "pgd.thanh", days(0), days(3), sign=False)
    assert acting_for(deputy, "inbox") == [user(db_session, "lanhdao").id]
    assert acting_for(deputy, "sign") == []
    service.revoke(db_session, user(db_session, "lanhdao"), inbox_only)
    assert acting_for(deputy, "inbox") == []
    with pytest.raises(ValueError):
        acting_for(deputy, "everything")


# ---------------------------------------------------------------- validation

def data(session, deputy="pgd.thanh", **overrides):
    values = {"to_user_id": user(session, deputy).id, "start_date": format_date(days(0)),
              "end_date": format_date(days(4)), "reason": "Đi công tác Hà Nội",
              "inbox": True, "sign": True, "signing_form": "KT."}
    values.update(overrides)
    return values


def refused(session, who, values):
    with pytest.raises(service.FormErrors) as error:
        service.create(session, user(session, who), values)
    session.rollback()
    return {k: [str(m) for m in v] for k, v in error.value.errors.items()}


def test_the_form_refuses_what_makes_no_sense(app, db_session, delegations):
    with app.test_request_context():
        director = user(db_session, "lanhdao")
        assert refused(db_session, "lanhdao", data(db_session, start_date="31/02/2026")
                       )["start_date"] == ["Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy."]
        assert refused(db_session, "lanhdao", data(
            db_session, start_date=format_date(days(3)), end_date=format_date(days(1)))
        )["end_date"] == ["Ngày kết thúc phải từ ngày bắt đầu trở đi."]
        assert refused(db_session, "lanhdao", data(db_session, deputy="lanhdao")
                       )["to_user_id"] == ["Không ủy quyền cho chính mình."]
        assert "reason" in refused(db_session, "lanhdao", data(db_session, reason=" "))
        assert "scope" in refused(db_session, "lanhdao", data(db_session, inbox=False,
                                                              sign=False))
        assert "signing_form" in refused(db_session, "lanhdao",
                                         data(db_session, signing_form="TL."))
        # an officer is not in the signer catalog: no signing to delegate
        assert "sign" in refused(db_session, "chuyenvien", data(db_session, deputy="cv.cchc"))
        made = service.create(db_session, director, data(db_session))
        assert (made.from_user_id, made.created_by_id) == (director.id, director.id)
        clash = refused(db_session, "lanhdao", data(db_session, deputy="pgd.nga",
                                                    start_date=format_date(days(2)),
                                                    end_date=format_date(days(8))))
        assert "Trùng thời gian với ủy quyền cho Vũ Đình Thành" in clash["start_date"][0]


def test_an_inactive_deputy_is_refused(app, db_session, delegations):
    with app.test_request_context():
        deputy = user(db_session, "cv.tcbc2")
        deputy.active = False
        db_session.commit()
        try:
            assert refused(db_session, "tp.tcbc", data(db_session, deputy="cv.tcbc2",
                                                       sign=False))["to_user_id"] == [
                "Người được ủy quyền không còn hoạt động."]
        finally:
            deputy.active = True
            db_session.commit()


def test_only_the_office_delegates_for_someone_else(app, db_session, delegations):
    with app.test_request_context():
        director = user(db_session, "lanhdao")
        with pytest.raises(service.DomainError, match="của chính mình"):
            service.create(db_session, user(db_session, "truongphong"),
                           data(db_session, from_user_id=director.id))
        db_session.rollback()
        made = service.create(db_session, user(db_session, "lanhdaovp"),
                              data(db_session, from_user_id=director.id))
        assert made.from_user_id == director.id
        assert made.created_by_id == user(db_session, "lanhdaovp").id


# ---------------------------------------------------------------- outgoing: signing for

def test_the_deputy_approves_for_the_signer_and_the_document_says_so(app, db_session,
                                                                      delegations):
    with app.test_request_context():
        deputy = user(db_session, "pgd.thanh")
        draft = new_draft(db_session)  # to be signed by lanhdao (Giám đốc)
        services.apply(db_session, user(db_session, "chuyenvien"), draft, "submit")
        services.apply(db_session, user(db_session, "truongphong"), draft, "forward")
        assert draft.state == SIGNER_REVIEW
        with pytest.raises(services.DomainError):  # no delegation yet
            services.apply(db_session, deputy, draft, "approve")
        delegation = service.create(db_session, user(db_session, "lanhdao"),
                                    data(db_session, signing_form="KT."))
        boxes = dict((k, c) for k, _label, c in services.draft_boxes(deputy))
        assert db_session.scalar(select(func.count(Draft.id)).where(
            boxes["to_sign"], Draft.id == draft.id)) == 1
        services.apply(db_session, deputy, draft, "approve")
        assert draft.state == APPROVED and draft.approved_delegation_id == delegation.id
        period = f"{format_date(days(0))} đến {format_date(days(4))}"
        event = draft.events[-1]
        assert event.actor_id == deputy.id
        assert event.note == f"Thay mặt Trần Quốc Đạt (ủy quyền từ {period})"
        line = db_session.scalars(select(AuditEvent).where(
            AuditEvent.action == "acted_for", AuditEvent.object_type == "draft",
            AuditEvent.object_id == str(draft.id))).one()
        assert f"thay mặt Trần Quốc Đạt (ủy quyền từ {period})" in line.summary
        document = issue(db_session, draft)
        assert document.signature_block == "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"
        assert (document.signer_name, document.signer_authority) == ("Vũ Đình Thành", "KT.")
        assert (document.signed_for_name, document.delegation_id) == ("Trần Quốc Đạt",
                                                                      delegation.id)


def test_after_revocation_the_deputy_no_longer_signs(app, db_session, delegations):
    with app.test_request_context():
        deputy = user(db_session, "pgd.nga")
        delegation = service.create(db_session, user(db_session, "lanhdao"),
                                    data(db_session, deputy="pgd.nga", signing_form="TUQ."))
        draft = new_draft(db_session)
        services.apply(db_session, user(db_session, "chuyenvien"), draft, "submit")
        services.apply(db_session, user(db_session, "truongphong"), draft, "forward")
        service.revoke(db_session, user(db_session, "lanhdao"), delegation)
        with pytest.raises(services.DomainError):
            services.apply(db_session, deputy, draft, "approve")
        with pytest.raises(service.DomainError, match="đã được thu hồi"):
            service.revoke(db_session, user(db_session, "lanhdao"), delegation)


# ---------------------------------------------------------------- web and REST

def test_a_leader_delegates_on_the_page_and_revokes(app, client, login_as, db_session,
                                                     delegations):
    login_as("lanhdao")
    page = client.get("/delegations/").get_data(as_text=True)
    assert "Người được ủy quyền" in page and 'name="from_user_id"' not in page
    deputy = user(db_session, "pgd.thanh")
    bad = client.post("/delegations/new", data={
        "csrf_token": csrf_token(page), "to_user_id": deputy.id, "start_date": "05/13/2026",
        "end_date": format_date(days(2)), "reason": "Nghỉ phép", "inbox": "1"})
    assert bad.status_code == 422
    assert "Ngày không hợp lệ: nhập theo dạng dd/mm/yyyy." in bad.get_data(as_text=True)
    made = client.post("/delegations/new", data={
        "csrf_token": csrf_token(page), "to_user_id": deputy.id,
        "start_date": format_date(days(0)), "end_date": format_date(days(2)),
        "reason": "Nghỉ phép", "inbox": "1", "sign": "1", "signing_form": ""},
        follow_redirects=True)
    html = made.get_data(as_text=True)
    assert "Đã ghi nhận ủy quyền cho Vũ Đình Thành" in html and "Đang hiệu lực" in html
    delegation = db_session.scalars(select(Delegation).where(
        Delegation.to_user_id == deputy.id, Delegation.revoked_at.is_(None))).one()
    assert delegation.signing_form == "KT."  # pgd.thanh signs "KT." in the signer catalog
    login_as("pgd.thanh")
    assert "Trần Quốc Đạt" in client.get("/delegations/").get_data(as_text=True)
    login_as("lanhdao")
    gone = client.post(f"/delegations/{delegation.id}/revoke",
                       data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "Đã thu hồi ủy quyền." in gone.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Delegation, delegation.id).revoked_at is not None


def test_an_officer_has_no_delegation_page(client, login_as):
    login_as("chuyenvien")
    assert client.get("/delegations/").status_code == 403


def test_rest_delegation(app, client, api_as, db_session, delegations):
    deputy = user(db_session, "pgd.nga")
    wrong = client.post("/api/v1/delegation/", json={
        "to_user_id": deputy.id, "start_date": "2026-12-10", "end_date": "2026-12-01",
        "reason": "Công tác", "inbox": True}, headers=api_as("lanhdao"))
    assert wrong.status_code == 422
    made = client.post("/api/v1/delegation/", json={
        "to_user_id": deputy.id, "start_date": days(0).isoformat(),
        "end_date": days(1).isoformat(), "reason": "Công tác", "inbox": True, "sign": False},
        headers=api_as("lanhdao"))
    assert made.status_code == 201, made.get_data(as_text=True)
    listed = client.get("/api/v1/delegation/", headers=api_as("pgd.nga")).get_json()
    assert listed["acting_for"] == {"inbox": [user(db_session, "lanhdao").id], "sign": []}
    other = client.post(f"/api/v1/delegation/{made.get_json()['id']}/revoke",
                        headers=api_as("tp.tcbc"))
    assert other.status_code == 404  # not theirs to see
    revoked = client.post(f"/api/v1/delegation/{made.get_json()['id']}/revoke",
                          headers=api_as("lanhdao"))
    assert revoked.status_code == 200 and revoked.get_json()["result"]["active"] is False


# ---------------------------------------------------------------- incoming: the inbox

def test_the_deputy_handles_the_absent_persons_line_marked_as_such(app, db_session,
                                                                    delegations):
    """cv.cchc is away: chuyenvien, her deputy for the inbox, sees her line in "Chờ xử lý",
    completes it, and the history and the audit trail say on whose behalf; once the
    delegation is revoked, the next document is no longer chuyenvien's to touch."""
    from app.documents import services as incoming
    from app.documents.models import IncomingDocument
    from tests.conftest import pdf
    from tests.incoming_helpers import entry

    def directed():
        with app.test_request_context():
            document = incoming.register_incoming(db_session, user(db_session, "vanthu"),
                                                  entry(db_session), [(pdf(), "cv.pdf")])
            incoming.submit(db_session, user(db_session, "vanthu"), document,
                            user(db_session, "lanhdao").id)
            incoming.assign(db_session, user(db_session, "lanhdao"), document, "Xử lý.",
                            [{"role": "lead", "user_id": user(db_session, "cv.cchc").id}])
            return document.id

    def in_box(username, document_id):
        with app.test_request_context():
            query = incoming.inbox_query(user(db_session, username), "to_process")
            return db_session.scalar(select(func.count()).select_from(
                query.where(IncomingDocument.id == document_id).subquery()))

    first = directed()
    assert in_box("chuyenvien", first) == 0
    with app.test_request_context():
        made = service.create(db_session, user(db_session, "lanhdaovp"),  # for anyone
                              data(db_session, deputy="chuyenvien", sign=False, signing_form="",
                                   from_user_id=user(db_session, "cv.cchc").id))
    assert in_box("chuyenvien", first) == 1
    with app.test_request_context():
        document = db_session.get(IncomingDocument, first)
        line = document.assignments[-1]
        incoming.complete(db_session, user(db_session, "chuyenvien"), document, line.id,
                          "Đã báo cáo.")
        db_session.expire_all()
        document = db_session.get(IncomingDocument, first)
        assert document.assignments[-1].state == "done"
        event = [e for e in document.events if e.action == "complete"][-1]
        assert event.actor_id == user(db_session, "chuyenvien").id
        assert "thay mặt Phan Thị Oanh (ủy quyền từ" in event.note
    audit = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "acted_for", AuditEvent.object_type == "incoming_document",
        AuditEvent.object_id == str(first))).one()
    assert "Hoàn thành" in audit.summary and "thay mặt Phan Thị Oanh" in audit.summary

    with app.test_request_context():
        service.revoke(db_session, user(db_session, "lanhdaovp"), made)
    second = directed()
    assert in_box("chuyenvien", second) == 0
    with app.test_request_context():
        document = db_session.get(IncomingDocument, second)
        with pytest.raises(incoming.DomainError, match="không thuộc quyền của bạn"):
            incoming.complete(db_session, user(db_session, "chuyenvien"), document,
                              document.assignments[-1].id, "Không được.")


def test_a_document_presented_to_the_absent_head_waits_for_his_deputy(app, db_session,
                                                                      delegations):
    from app.documents import deadlines
    from app.documents import services as incoming
    from app.documents.models import IncomingDocument
    from tests.conftest import pdf
    from tests.incoming_helpers import entry

    with app.test_request_context():
        document = incoming.register_incoming(db_session, user(db_session, "vanthu"),
                                              entry(db_session), [(pdf(), "cv.pdf")])
        incoming.submit(db_session, user(db_session, "vanthu"), document,
                        user(db_session, "lanhdao").id)
        document_id = document.id

    def waiting(username):
        with app.test_request_context():
            return db_session.scalar(select(func.count(IncomingDocument.id)).where(
                IncomingDocument.id == document_id,
                deadlines.waiting_for(user(db_session, username))))

    assert waiting("pgd.nga") == 0
    with app.test_request_context():
        service.create(db_session, user(db_session, "lanhdao"),
                       data(db_session, deputy="pgd.nga", sign=False, signing_form=""))
    assert waiting("pgd.nga") == 1
    with app.test_request_context():
        document = db_session.get(IncomingDocument, document_id)
        incoming.assign(db_session, user(db_session, "pgd.nga"), document, "Giao phòng.",
                        [{"role": "lead", "user_id": user(db_session, "chuyenvien").id}])
        db_session.expire_all()
        event = [e for e in db_session.get(IncomingDocument, document_id).events
                 if e.action == "assign"][-1]
        assert "thay mặt Trần Quốc Đạt" in event.note
