"""Ký số in the real browser (issue 17): the director signs a draft digitally from its page
("Ký số và duyệt", with the demo's key of the demo CA), the clerk issues it with no scan — the
issue page says it is the electronic path — and the issued document shows "Văn bản điện tử"
with its signature badge "Hợp lệ" and, unfolded, both signatures: the director's and the
agency's. Screenshots: test-output/screenshots/esign-*.png."""
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import click_confirmed, expect_flash, switch_user
from tests.conftest import app_settings
from tests.test_outgoing_esign import SIGNER, known, new_draft_id

pytestmark = pytest.mark.browser

DEMO_KEYS = {"SIGNING_DEMO_PERSONAL_KEYS": True, "SIGNING_CSC_URL": "",
             "SIGNING_AGENCY_P12_FILE": "", "SIGNING_AGENCY_PKCS11_MODULE": "",
             "SIGNING_TSA_URL": ""}


def test_director_signs_and_clerk_issues_an_electronic_document(
        app, db_session, page, live_server, login_as, shot):
    draft_id = new_draft_id(app)
    register_id = known(db_session)["register"]
    with app_settings(app, **DEMO_KEYS):  # the demo's keys: the director's and the agency's
        login_as(SIGNER)
        page.goto(f"{live_server}/drafts/{draft_id}")
        choices = page.locator(".signing-choices")
        expect(choices).to_be_visible()
        expect(choices.locator("a.action-to-sign")).to_contain_text("Tải bản để ký")
        shot(page, "esign-signer-choices")
        with page.expect_navigation():
            click_confirmed(page, choices.locator("button.action-sign"))
        state = page.locator(".signing-state")
        expect(state).to_contain_text("Đã ký số")
        expect(state).to_contain_text("phiên bản 1")
        expect(page.locator(".signing-choices")).to_have_count(0)  # signed: nothing left to sign
        shot(page, "esign-signed")

        switch_user(page, live_server, login_as, "vanthu")
        page.goto(f"{live_server}/drafts/{draft_id}/issue")
        expect(page.locator(".electronic-path")).to_contain_text("Văn bản điện tử")
        expect(page.locator(".signing-level")).to_contain_text("PAdES-B-B (không có dấu thời gian)")
        page.locator("select[name=register_id]").select_option(str(register_id))
        shot(page, "esign-issue-form")
        with page.expect_navigation():
            page.locator("button.action-issue").click()
        expect_flash(page, "Đã phát hành văn bản số")
        expect(page.locator(".label.electronic")).to_have_text("Văn bản điện tử")
        signed = page.locator("li.file-signed_pdf")
        expect(signed).to_contain_text("Văn bản điện tử có chữ ký số")
        expect(signed.locator(".signature-badge")).to_contain_text("Hợp lệ")
        signed.locator("details.signature-details summary").click()
        signatures = signed.locator("dl.signature-item")
        expect(signatures).to_have_count(2)
        expect(signatures.nth(0)).to_contain_text("Trần Quốc Đạt")  # the director
        expect(signatures.nth(1)).to_contain_text(app.config["AGENCY_NAME"])
        shot(page, "esign-issued")
