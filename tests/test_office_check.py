"""The office leader's check of a draft before issuance (Art. 7.1d): what is missing, "Đã
kiểm tra" recorded with who and when (cleared by a new upload), "Trả lại" to the drafter with
comments, and — when the agency requires it — no approval or issuance of an unchecked draft.
Service, web pages and REST, each as the role that acts."""
import re

import pytest
from sqlalchemy import select

from app.notifications.models import Notification
from app.outgoing import services
from app.outgoing.models import APPROVED, DRAFTING, SIGNER_REVIEW, UNIT_REVIEW, Draft
from tests.conftest import csrf_token, user
from tests.test_outgoing import docx_bytes, new_draft


def submitted(session, **overrides):
    """A draft of chuyenvien (CCHC) submitted to the unit leader."""
    draft = new_draft(session, **overrides)
    services.apply(session, user(session, "chuyenvien"), draft, "submit")
    assert draft.state == UNIT_REVIEW
    return draft


@pytest.fixture
def check_required(app):
    app.config["OFFICE_CHECK_REQUIRED"] = True
    yield
    app.config["OFFICE_CHECK_REQUIRED"] = False


# ---------------------------------------------------------------- what is missing

def test_the_check_lists_the_real_gaps_of_a_draft(app, db_session):
    with app.test_request_context():
        complete = new_draft(db_session)
        assert services.missing_for_issuance(complete) == []
        gaps = new_draft(db_session, field_id=None, excerpt="Báo cáo kết quả tháng 11",
                         internal_unit_ids=[], external_agency_ids=[])
        problems = [str(p) for p in services.missing_for_issuance(gaps)]
        assert "Chưa chọn lĩnh vực." in problems
        assert "Chưa có nơi nhận." in problems
        assert "Trích yếu của công văn phải bắt đầu bằng «V/v»." in problems


# ---------------------------------------------------------------- service

def test_office_leader_marks_checked_and_a_new_upload_clears_it(app, db_session):
    with app.test_request_context():
        draft = submitted(db_session)
        office = user(db_session, "lanhdaovp")
        services.act(db_session, office, draft, "check")
        assert draft.state == UNIT_REVIEW  # a check does not move the draft
        assert draft.checked_by_id == office.id and draft.checked_at is not None
        assert draft.checked_version == 1
        event = draft.events[-1]
        assert (event.action, event.actor_id, event.note) == ("check", office.id, "Phiên bản 1")
        with pytest.raises(services.DomainError, match="đã được kiểm tra"):
            services.act(db_session, office, draft, "check")
        # the unit leader uploads a corrected version: what was checked is not what is there
        services.upload_version(db_session, user(db_session, "truongphong"), draft,
                                [(docx_bytes(), "Dự thảo sửa.docx")])
        db_session.commit()
        assert draft.checked_at is None and draft.checked_by_id is None


def test_a_draft_with_gaps_is_not_marked_checked(app, db_session):
    with app.test_request_context():
        draft = submitted(db_session, field_id=None)
        with pytest.raises(services.FormErrors) as refused:
            services.act(db_session, user(db_session, "lanhdaovp"), draft, "check")
        assert "Chưa chọn lĩnh vực." in str(refused.value.errors["state"][0])
        db_session.rollback()
        assert db_session.get(Draft, draft.id).checked_at is None


def test_office_return_sends_the_draft_back_with_the_comment_and_tells_the_drafter(
        app, db_session):
    with app.test_request_context():
        draft = submitted(db_session)
        office = user(db_session, "lanhdaovp")
        services.act(db_session, office, draft, "check")
        with pytest.raises(services.FormErrors):
            services.act(db_session, office, draft, "office_return", "  ")
        db_session.rollback()
        services.act(db_session, office, draft, "office_return",
                     "Sai thể thức: thiếu nơi nhận «Lưu: VT».")
        assert draft.state == DRAFTING and draft.checked_at is None
        event = draft.events[-1]
        assert (event.action, event.from_state, event.to_state) == (
            "office_return", UNIT_REVIEW, DRAFTING)
        assert event.note == "Sai thể thức: thiếu nơi nhận «Lưu: VT»."
        notice = db_session.scalars(select(Notification).where(
            Notification.user_id == draft.drafter_id,
            Notification.subject == f"draft:{draft.id}",
            Notification.kind == "draft.returned")).one()
        assert "Sai thể thức: thiếu nơi nhận «Lưu: VT»." in notice.message
        assert notice.url == f"/drafts/{draft.id}" and notice.done_at is None


def test_only_the_office_checks(app, db_session):
    with app.test_request_context():
        draft = submitted(db_session)
        for name in ("truongphong", "vanthu", "lanhdao"):
            with pytest.raises(services.DomainError, match="chỉ lãnh đạo văn phòng"):
                services.act(db_session, user(db_session, name), draft, "check")
        drafting = new_draft(db_session)  # not in the chain yet: nothing to check
        with pytest.raises(services.DomainError):
            services.act(db_session, user(db_session, "lanhdaovp"), drafting, "check")


def test_with_the_check_required_the_signer_waits_for_it(app, db_session, check_required):
    with app.test_request_context():
        draft = submitted(db_session)
        services.apply(db_session, user(db_session, "truongphong"), draft, "forward")
        assert draft.state == SIGNER_REVIEW
        director = user(db_session, "lanhdao")
        with pytest.raises(services.FormErrors) as refused:
            services.apply(db_session, director, draft, "approve")
        assert "Văn phòng chưa kiểm tra thể thức" in str(refused.value.errors["state"][0])
        db_session.rollback()
        assert db_session.get(Draft, draft.id).state == SIGNER_REVIEW
        services.act(db_session, user(db_session, "lanhdaovp"), draft, "check")
        services.apply(db_session, director, draft, "approve")
        assert draft.state == APPROVED


def test_without_the_setting_approval_does_not_wait(app, db_session):
    with app.test_request_context():
        assert app.config["OFFICE_CHECK_REQUIRED"] is False  # the default
        draft = submitted(db_session)
        services.apply(db_session, user(db_session, "truongphong"), draft, "forward")
        services.apply(db_session, user(db_session, "lanhdao"), draft, "approve")
        assert draft.state == APPROVED


# ---------------------------------------------------------------- web

def test_office_leader_checks_and_returns_from_the_check_page(app, client, login_as,
                                                               db_session):
    with app.test_request_context():
        to_check = submitted(db_session)
        to_return = submitted(db_session, field_id=None)
        check_id, return_id = to_check.id, to_return.id
        excerpt, gap_excerpt = to_check.excerpt, to_return.excerpt
    login_as("lanhdaovp")
    page = client.get("/drafts/check?checked=0").get_data(as_text=True)
    assert excerpt in page and gap_excerpt in page
    row = re.search(rf'data-draft="{return_id}".*?</tr>', page, re.S).group(0)
    assert "Chưa chọn lĩnh vực." in row and "Chưa kiểm tra" in row
    done = client.post(f"/drafts/{check_id}/do/check", data={
        "csrf_token": csrf_token(page), "back": "check", "checked": "0"})
    assert done.status_code == 302 and done.location.endswith("/drafts/check?checked=0")
    checked = client.get("/drafts/check?checked=1").get_data(as_text=True)
    assert excerpt in checked and gap_excerpt not in checked
    assert "Lê Thị Hòa" in re.search(rf'data-draft="{check_id}".*?</tr>', checked,
                                     re.S).group(0)
    assert excerpt not in client.get("/drafts/check?checked=0").get_data(as_text=True)
    returned = client.post(f"/drafts/{return_id}/do/office_return", data={
        "csrf_token": csrf_token(page), "back": "check",
        "note": "Bổ sung lĩnh vực và nơi nhận."}, follow_redirects=True)
    assert "Đã trả lại dự thảo cho người soạn thảo." in returned.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Draft, return_id).state == DRAFTING
    # the drafter sees it back in drafting, with the comment in its history
    login_as("chuyenvien")
    show = client.get(f"/drafts/{return_id}").get_data(as_text=True)
    assert "Đang soạn thảo" in show and "Bổ sung lĩnh vực và nơi nhận." in show
    assert "Văn phòng trả lại" in show


def test_the_check_buttons_are_the_office_leaders(app, client, login_as, db_session):
    with app.test_request_context():
        draft_id = submitted(db_session).id
    login_as("vanthu")
    page = client.get("/drafts/check").get_data(as_text=True)
    assert "action-check" not in page and "action-office-return" not in page
    login_as("lanhdaovp")
    page = client.get(f"/drafts/{draft_id}").get_data(as_text=True)
    assert "action-check" in page and "Chưa kiểm tra" in page


def test_the_signer_is_refused_in_vietnamese_when_the_check_is_required(
        app, client, login_as, db_session, check_required):
    with app.test_request_context():
        draft = submitted(db_session)
        services.apply(db_session, user(db_session, "truongphong"), draft, "forward")
        draft_id = draft.id
    login_as("lanhdao")
    page = client.get(f"/drafts/{draft_id}").get_data(as_text=True)
    answer = client.post(f"/drafts/{draft_id}/do/approve",
                         data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert "Văn phòng chưa kiểm tra thể thức dự thảo này" in answer.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Draft, draft_id).state == SIGNER_REVIEW


# ---------------------------------------------------------------- REST

def test_rest_check_and_return(app, client, api_as, db_session):
    with app.test_request_context():
        draft_id = submitted(db_session).id
    refused = client.post(f"/api/v1/draft/{draft_id}/actions/check",
                          headers=api_as("truongphong"))
    assert refused.status_code == 422
    done = client.post(f"/api/v1/draft/{draft_id}/actions/check", headers=api_as("lanhdaovp"))
    assert done.status_code == 200, done.get_data(as_text=True)
    result = done.get_json()["result"]
    assert result["checked"] is True and result["checked_by"] == "Lê Thị Hòa"
    assert result["state"] == UNIT_REVIEW
    no_note = client.post(f"/api/v1/draft/{draft_id}/actions/office_return", json={},
                          headers=api_as("lanhdaovp"))
    assert no_note.status_code == 422
    assert "Nhập ý kiến" in str(no_note.get_json()["message"])
    back = client.post(f"/api/v1/draft/{draft_id}/actions/office_return",
                       json={"note": "Sửa lại thể thức."}, headers=api_as("lanhdaovp"))
    assert back.status_code == 200
    result = back.get_json()["result"]
    assert result["state"] == DRAFTING and result["checked"] is False
    assert result["history"][-1]["note"] == "Sửa lại thể thức."



def test_the_check_page_pages_newest_change_first(app, client, login_as, db_session,
                                                  monkeypatch):
    """The check page shows a page of drafts at a time, the newest change first, and links
    to the next and previous pages (a busy office's whole chain at once was hundreds of
    rows); nothing is lost between the pages."""
    from app.outgoing import views

    with app.test_request_context():
        older, newer = submitted(db_session), submitted(db_session)
        older_excerpt, newer_excerpt = older.excerpt, newer.excerpt
    monkeypatch.setattr(views, "CHECK_PAGE", 1)
    login_as("lanhdaovp")
    first = client.get("/drafts/check?checked=0").get_data(as_text=True)
    assert newer_excerpt in first and older_excerpt not in first
    assert "Trang 1" in first and "page=2" in first and "Trang trước" not in first
    second = client.get("/drafts/check?checked=0&page=2").get_data(as_text=True)
    assert older_excerpt in second and newer_excerpt not in second
    assert "Trang trước" in second
    beyond = client.get("/drafts/check?checked=0&page=99999999999999999999")
    assert beyond.status_code == 200
