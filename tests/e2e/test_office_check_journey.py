"""The office leader's check (Art. 7.1d) in the real browser: lanhdaovp opens the check list,
sees what is missing in a draft and returns it with a comment (the drafter finds it back in
drafting with the comment), marks another "Đã kiểm tra"; with the check required by the
agency, the signer cannot approve an unchecked draft and is told so in Vietnamese.
Screenshots: test-output/screenshots/check-*.png."""
import pytest
from playwright.sync_api import expect

from tests.conftest import user
from tests.e2e.helpers import click_confirmed, expect_flash, open_menu, switch_user
from tests.test_outgoing import new_draft

pytestmark = pytest.mark.browser

RETURN_NOTE = "Thiếu lĩnh vực; bổ sung rồi trình lại"


def in_chain(app, session, until="unit_review", **overrides):
    """A draft of chuyenvien made through the services, moved up to `until`."""
    from app.outgoing import services

    with app.test_request_context():
        draft = new_draft(session, **overrides)
        services.apply(session, user(session, "chuyenvien"), draft, "submit")
        if until == "signer_review":
            services.apply(session, user(session, "truongphong"), draft, "forward")
        return draft.id, draft.excerpt


def row(page, draft_id):
    return page.locator(f"tr.draft-row[data-draft='{draft_id}']")


def test_office_leader_checks_and_returns(app, db_session, page, live_server, login_as, shot):
    gap_id, gap_excerpt = in_chain(app, db_session, field_id=None)
    ok_id, ok_excerpt = in_chain(app, db_session)

    login_as("lanhdaovp")
    open_menu(page, "Văn bản", "Kiểm tra trước phát hành")
    with page.expect_navigation():
        page.locator(".check-filter a", has_text="Chưa kiểm tra").click()
    gap = row(page, gap_id)
    expect(gap).to_contain_text(gap_excerpt)
    expect(gap.locator(".problems")).to_contain_text("Chưa chọn lĩnh vực.")
    expect(gap.locator(".check-state")).to_contain_text("Chưa kiểm tra")
    expect(row(page, ok_id).locator(".problems")).to_contain_text("Đủ")
    shot(page, "check-list")

    gap.locator("textarea[name=note]").fill(RETURN_NOTE)
    with page.expect_navigation():  # a return asks first, in the page
        click_confirmed(page, gap.locator("button.action-office-return"))
    expect_flash(page, "Đã trả lại dự thảo cho người soạn thảo.")
    expect(row(page, gap_id)).to_have_count(0)  # no longer in the chain

    with page.expect_navigation():
        row(page, ok_id).locator("button.action-check").click()
    expect_flash(page, "dự thảo đã được văn phòng kiểm tra")
    with page.expect_navigation():
        page.locator(".check-filter a", has_text="Đã kiểm tra").click()
    checked = row(page, ok_id)
    expect(checked.locator(".check-state")).to_contain_text("Đã kiểm tra")
    expect(checked.locator(".check-state")).to_contain_text("Lê Thị Hòa")
    shot(page, "check-checked")

    switch_user(page, live_server, login_as, "chuyenvien")
    page.goto(f"{live_server}/drafts/{gap_id}")
    expect(page.locator(".panel-heading .label.state")).to_have_text("Đang soạn thảo")
    history = page.locator("table.history")
    expect(history).to_contain_text("Văn phòng trả lại")
    expect(history).to_contain_text(RETURN_NOTE)
    shot(page, "check-returned-drafter")


def test_with_the_check_required_the_signer_is_told_to_wait(app, db_session, page,
                                                            live_server, login_as, shot):
    draft_id, _excerpt = in_chain(app, db_session, until="signer_review")
    app.config["OFFICE_CHECK_REQUIRED"] = True
    try:
        login_as("lanhdao")
        page.goto(f"{live_server}/drafts/{draft_id}")
        expect(page.locator(".check-state")).to_contain_text("Chưa kiểm tra")
        with page.expect_navigation():
            click_confirmed(page, page.locator("button.action-approve"))
        expect_flash(page, "Văn phòng chưa kiểm tra thể thức dự thảo này")
        expect(page.locator(".panel-heading .label.state")).to_have_text("Chờ người ký duyệt")
        shot(page, "check-required-refused")
    finally:
        app.config["OFFICE_CHECK_REQUIRED"] = False
