"""Drafts, approval, the office check, issuance, distribution, recall — as the roles act."""
import io
import threading
import traceback
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.catalogs.models import Agency, DocumentType, Register, SecrecyLevel, Signer
from app.catalogs.models import UrgencyLevel
from app.core.timefmt import local_now
from app.extensions import db
from app.org.models import Department, EofficeUser
from app.outgoing import services
from app.outgoing.models import (
    APPROVED, DRAFTING, ISSUED, RECALLED, REPLACED, SIGNER_REVIEW, UNIT_REVIEW, Draft,
    OutgoingDocument,
)
from app.outgoing.symbols import build_symbol, number_symbol
from tests.conftest import form_of, login, pdf, user

DOCX = None  # built lazily: a minimal real .docx (zip with word/document.xml)


def docx_bytes():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://'
                         'schemas.openxmlformats.org/package/2006/content-types"/>')
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def ids(session):
    return {
        "cong_van": session.scalar(select(DocumentType.id).where(DocumentType.name == "Công văn")),
        "quyet_dinh": session.scalar(select(DocumentType.id).where(
            DocumentType.name == "Quyết định")),
        "nghi_quyet": session.scalar(select(DocumentType.id).where(
            DocumentType.name == "Nghị quyết")),
        "urgency": session.scalar(select(UrgencyLevel.id).where(UrgencyLevel.priority == 0)),
        "secrecy": session.scalar(select(SecrecyLevel.id).where(SecrecyLevel.level == 0)),
        "secret": session.scalar(select(SecrecyLevel.id).where(SecrecyLevel.level == 1)),
        "cchc": session.scalar(select(Department.id).where(Department.code == "CCHC")),
        "tcbc": session.scalar(select(Department.id).where(Department.code == "TCBC")),
        "signer_director": session.scalar(select(Signer.id).join(Signer.user).where(
            EofficeUser.username == "lanhdao")),
        "register_out": session.scalar(select(Register.id).where(
            Register.direction == "out", Register.year == local_now().year,
            Register.is_secret.is_(False))),
        "register_out_secret": session.scalar(select(Register.id).where(
            Register.direction == "out", Register.year == local_now().year,
            Register.is_secret.is_(True))),
        "province": session.scalar(select(Agency.id).where(
            Agency.electronic_id == "000.00.00.H30")),
        "field": session.scalar(select(DocumentType.id)),
    }


def new_draft(session, drafter="chuyenvien", **overrides):
    known = ids(session)
    from app.catalogs.models import Field

    data = {"document_type_id": known["cong_van"],
            "excerpt": f"V/v báo cáo công tác cải cách hành chính {uuid.uuid4().hex[:6]}",
            "field_id": session.scalar(select(Field.id).where(Field.code == "CCHC")),
            "urgency_id": known["urgency"], "secrecy_id": known["secrecy"],
            "signer_id": known["signer_director"], "drafting_department_id": known["cchc"],
            "internal_unit_ids": [known["tcbc"]], "external_agency_ids": [known["province"]]}
    data.update(overrides)
    return services.create_draft(session, user(session, drafter), data,
                                 [(docx_bytes(), "Dự thảo công văn.docx")])


def approved_draft(session, **overrides):
    draft = new_draft(session, **overrides)
    services.apply(session, user(session, "chuyenvien"), draft, "submit")
    services.apply(session, user(session, "truongphong"), draft, "forward")
    services.apply(session, user(session, "lanhdao"), draft, "approve")
    return draft


def issue(session, draft, register_key="register_out", scan=True, **overrides):
    arguments = {"register_id": ids(session)[register_key], "issued_date": local_now().date(),
                 "place": "Hà Nam", "scan_uploads": [(pdf(), "Bản ký số.pdf")] if scan else []}
    arguments.update(overrides)
    return services.issue(session, user(session, "vanthu"), draft, **arguments)


# ---------------------------------------------------------------- symbols

def test_symbols_for_each_type_family(app, db_session):
    types = {t.name: t for t in db_session.scalars(select(DocumentType))}
    assert build_symbol(types["Quyết định"], "SNV", "VP", 2026) == "QĐ-SNV"
    assert build_symbol(types["Công văn"], "SNV", "CCHC", 2026) == "SNV-CCHC"
    assert build_symbol(types["Nghị định"], "CP", None, 2020) == "2020/NĐ-CP"
    assert number_symbol(5, "QĐ-SNV") == "05/QĐ-SNV"
    assert number_symbol(45, "SNV-VP") == "45/SNV-VP"


# ---------------------------------------------------------------- approval chain

def test_chain_with_a_return_then_approval(app, db_session):
    with app.test_request_context():
        draft = new_draft(db_session)
        officer, unit_leader = user(db_session, "chuyenvien"), user(db_session, "truongphong")
        services.apply(db_session, officer, draft, "submit")
        assert draft.state == UNIT_REVIEW
        with pytest.raises(services.FormErrors):
            services.apply(db_session, unit_leader, draft, "return", "")  # a reason is needed
        services.apply(db_session, unit_leader, draft, "return", "Bổ sung số liệu quý III.")
        assert draft.state == DRAFTING
        services.apply(db_session, officer, draft, "submit")
        services.apply(db_session, unit_leader, draft, "forward")
        assert draft.state == SIGNER_REVIEW
        with pytest.raises(services.DomainError):  # another leader is not the signer
            services.apply(db_session, user(db_session, "pgd.thanh"), draft, "approve")
        services.apply(db_session, user(db_session, "lanhdao"), draft, "approve")
        assert draft.state == APPROVED
        assert [e.action for e in draft.events][-1] == "approve"
        assert any(e.note == "Bổ sung số liệu quý III." for e in draft.events)


def test_nobody_approves_their_own_draft(app, db_session):
    with app.test_request_context():
        director = user(db_session, "lanhdao")
        draft = new_draft(db_session, drafter="lanhdao",
                          drafting_department_id=director.department_id)
        services.apply(db_session, director, draft, "submit")
        with pytest.raises(services.DomainError):
            services.apply(db_session, director, draft, "approve")


def test_submit_needs_a_signer_and_a_file(app, db_session):
    with app.test_request_context():
        officer = user(db_session, "chuyenvien")
        known = ids(db_session)
        draft = services.create_draft(db_session, officer, {
            "document_type_id": known["cong_van"], "excerpt": "V/v thiếu người ký",
            "urgency_id": known["urgency"], "secrecy_id": known["secrecy"]})
        with pytest.raises(services.FormErrors) as error:
            services.apply(db_session, officer, draft, "submit")
        messages = [str(m) for m in error.value.errors["state"]]
        assert "Chọn người ký trước khi trình." in messages
        assert "Tải lên tệp dự thảo trước khi trình." in messages


# ---------------------------------------------------------------- issuance

def test_issuance_numbers_symbol_files_and_recipients(app, db_session):
    with app.test_request_context():
        draft = approved_draft(db_session)
        expected = services.next_outgoing_number(db_session, ids(db_session)["register_out"])
        document = issue(db_session, draft)
    assert document.number == expected
    assert document.number_symbol == number_symbol(expected, "SNV-CCHC")
    assert {f.role for f in document.files} == {"drafter_file", "signed_scan"}
    kinds = sorted(r.kind for r in document.recipients)
    assert kinds == ["external", "unit"]
    assert db_session.get(Draft, draft.id).state == ISSUED


def test_issuance_refused_before_approval(app, db_session):
    with app.test_request_context():
        draft = new_draft(db_session)
        with pytest.raises(services.DomainError, match="chỉ dự thảo đã được duyệt"):
            issue(db_session, draft)


def test_issuance_refused_without_the_signed_scan(app, db_session):
    with app.test_request_context():
        draft = approved_draft(db_session)
        with pytest.raises(services.FormErrors) as error:
            issue(db_session, draft, scan=False)
        assert "bản quét có chữ ký" in str(error.value.errors["scan"][0])
        db_session.expire_all()
        assert db_session.get(Draft, draft.id).state == APPROVED  # nothing half done


def test_issuance_refuses_a_fake_scan(app, db_session):
    with app.test_request_context():
        draft = approved_draft(db_session)
        with pytest.raises(services.FormErrors) as error:
            issue(db_session, draft, scan_uploads=[(b"MZ" + b"\0" * 100, "scan.pdf")])
        assert "scan.pdf" in error.value.errors["scan"][0]


def test_secret_document_needs_the_secret_register(app, db_session):
    with app.test_request_context():
        draft = approved_draft(db_session, secrecy_id=ids(db_session)["secret"],
                               external_agency_ids=[])
        with pytest.raises(services.FormErrors) as error:
            issue(db_session, draft)
        assert "sổ văn bản đi mật" in str(error.value.errors["register_id"][0])
        clash = services.next_outgoing_number(db_session, ids(db_session)["register_out_secret"])
        symbol = services.proposed_symbol(db_session, draft, local_now().year)
        if db_session.scalar(select(OutgoingDocument.id).where(
                OutgoingDocument.number_symbol == number_symbol(clash, symbol))):
            with pytest.raises(services.FormErrors, match="") as error:
                issue(db_session, draft, register_key="register_out_secret")
            assert "đã có trong năm" in str(error.value.errors["symbol"][0])
        document = issue(db_session, draft, register_key="register_out_secret",
                         symbol=f"M-{uuid.uuid4().hex[:4].upper()}")
        assert document.register.is_secret


def test_concurrent_issuance_never_collides(app, scratch_register):
    """Several clerks issue at the same moment into one register: consecutive numbers."""
    workers = 12
    register_id = scratch_register(f"Sổ đi thử {uuid.uuid4().hex[:5]}", "out",
                                   local_now().year)
    with app.app_context():
        session = db.session
        with app.test_request_context():
            draft_ids = [approved_draft(session).id for _ in range(workers)]
        db.session.remove()
    barrier, numbers, errors = threading.Barrier(workers), [], []
    symbol = f"SNV-T{uuid.uuid4().hex[:5].upper()}"  # this register's own symbol

    def work(draft_id):
        with app.test_request_context():
            try:
                barrier.wait(timeout=30)
                session = db.session
                document = services.issue(
                    session, user(session, "vanthu"), session.get(Draft, draft_id),
                    register_id=register_id, issued_date=local_now().date(), place="Hà Nam",
                    symbol=symbol, scan_uploads=[(pdf(), "scan.pdf")])
                numbers.append(document.number)
            except Exception:
                errors.append(traceback.format_exc())  # where, if it ever fails
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, args=(d,)) for d in draft_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, sorted(set(errors))
    assert sorted(numbers) == list(range(1, workers + 1))


# ---------------------------------------------------------------- distribution, recall

def test_internal_recipients_see_it_others_do_not(app, client, db_session):
    with app.test_request_context():
        document = issue(db_session, approved_draft(db_session))
    login(client, "cv.tcbc1")  # a member of the recipient unit TCBC
    received = client.get("/outgoing/list/list/?box=received").get_data(as_text=True)
    assert document.number_symbol in received
    assert client.get(f"/outgoing/{document.id}").status_code == 200
    login(client, "cv.thanhtra")  # not a recipient, other unit and fields
    assert client.get(f"/outgoing/{document.id}").status_code == 404
    file_id = document.files[0].file_id
    assert client.get(f"/outgoing/{document.id}/files/{file_id}").status_code == 404


def test_recall_and_replacement(app, client, db_session):
    with app.test_request_context():
        document = issue(db_session, approved_draft(db_session))
        with pytest.raises(services.FormErrors):
            services.recall(db_session, user(db_session, "vanthu"), document, "")
        services.recall(db_session, user(db_session, "vanthu"), document, "Sai thể thức.")
        assert document.state == RECALLED
        second = issue(db_session, approved_draft(db_session))
        replacement = services.start_replacement(db_session, user(db_session, "chuyenvien"),
                                                 second, {"signer_id": ids(db_session)[
                                                     "signer_director"]})
        services.upload_version(db_session, user(db_session, "chuyenvien"), replacement,
                                [(docx_bytes(), "thay-the.docx")])
        replacement.internal_units = second.draft.internal_units
        db_session.commit()
        for who, action in (("chuyenvien", "submit"), ("truongphong", "forward"),
                            ("lanhdao", "approve")):
            services.apply(db_session, user(db_session, who), replacement, action)
        new = issue(db_session, replacement)
    db_session.expire_all()
    assert db_session.get(OutgoingDocument, second.id).state == REPLACED
    assert db_session.get(OutgoingDocument, new.id).replaces_id == second.id


# ---------------------------------------------------------------- web

def test_web_journey_from_draft_to_issue(app, client, db_session):
    known = ids(db_session)
    login(client, "chuyenvien")
    page = client.get("/drafts/new").get_data(as_text=True)
    excerpt = f"V/v kế hoạch kiểm tra {uuid.uuid4().hex[:6]}"
    response = client.post("/drafts/new", data=form_of(
        page, document_type_id=str(known["cong_van"]), excerpt=excerpt,
        urgency_id=str(known["urgency"]), secrecy_id=str(known["secrecy"]),
        signer_id=str(known["signer_director"]), drafting_department_id=str(known["cchc"]),
        field_id="", internal_unit_ids=[str(known["tcbc"])],
        files=[(io.BytesIO(docx_bytes()), "Dự thảo.docx")]),
        content_type="multipart/form-data", follow_redirects=True)
    assert "Đã lưu dự thảo." in response.get_data(as_text=True)
    draft = db_session.scalar(select(Draft).where(Draft.excerpt == excerpt))
    client.post(f"/drafts/{draft.id}/do/submit", data=form_of(page))
    login(client, "truongphong")
    page = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    assert "Trình người ký" in page
    client.post(f"/drafts/{draft.id}/do/forward", data=form_of(page))
    login(client, "lanhdao")
    page = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    html = client.post(f"/drafts/{draft.id}/do/approve", data=form_of(page),
                       follow_redirects=True).get_data(as_text=True)
    assert "Chưa chọn lĩnh vực." in html  # the office check refuses a draft with a gap
    db_session.expire_all()
    assert db_session.get(Draft, draft.id).state == SIGNER_REVIEW
    check = client.get("/drafts/check").get_data(as_text=True)
    assert excerpt in check and "Chưa chọn lĩnh vực." in check


def test_issue_page_and_register_book(app, client, db_session):
    with app.test_request_context():
        draft = approved_draft(db_session)
    login(client, "vanthu")
    page = client.get(f"/drafts/{draft.id}/issue").get_data(as_text=True)
    assert "SNV-CCHC" in page
    response = client.post(f"/drafts/{draft.id}/issue", data=form_of(
        page, register_id=str(ids(db_session)["register_out"]),
        issued_date=local_now().strftime("%d/%m/%Y"), place="Hà Nam", symbol="SNV-CCHC",
        copies="5", scan=[(io.BytesIO(pdf()), "Bản quét.pdf")]),
        content_type="multipart/form-data", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Đã phát hành văn bản số" in html
    document = db_session.scalar(select(OutgoingDocument).where(
        OutgoingDocument.draft_id == draft.id))
    book = client.get(f"/outgoing/book?register_id={document.register_id}").get_data(
        as_text=True)
    for header in ("Số, ký hiệu văn bản", "Ngày tháng văn bản", "Người ký",
                   "Nơi nhận văn bản", "Số lượng bản", "Ký nhận"):
        assert f"<th>{header}</th>" in book
    assert document.number_symbol in book
    xlsx = client.get(f"/outgoing/book?register_id={document.register_id}&format=xlsx")
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(xlsx.data)).active
            .iter_rows()]
    assert any(row[0] == document.number_symbol for row in rows)


def test_officer_cannot_issue(app, client, db_session):
    with app.test_request_context():
        draft = approved_draft(db_session)
    login(client, "chuyenvien")
    response = client.get(f"/drafts/{draft.id}/issue", follow_redirects=True)
    assert "Chỉ văn thư phát hành" in response.get_data(as_text=True)
    page = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    posted = client.post(f"/drafts/{draft.id}/issue", data=form_of(page), follow_redirects=True)
    assert "Chỉ văn thư phát hành" in posted.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Draft, draft.id).state == APPROVED


def test_api_draft_and_outgoing(app, client, api_as, db_session):
    known = ids(db_session)
    officer = api_as("chuyenvien")
    created = client.post("/api/v1/draft/", headers=officer, json={
        "document_type_id": known["cong_van"], "excerpt": "V/v thử qua API",
        "urgency_id": known["urgency"], "secrecy_id": known["secrecy"],
        "signer_id": known["signer_director"], "drafting_department_id": known["cchc"]})
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    refused = client.post(f"/api/v1/draft/{pk}/actions/submit", headers=officer)
    assert refused.status_code == 422
    assert "Tải lên tệp dự thảo trước khi trình." in str(refused.get_json()["message"])
    other = client.get(f"/api/v1/draft/{pk}", headers=api_as("cv.thanhtra"))
    assert other.status_code == 404
    listed = client.get("/api/v1/outgoing/?page_size=5", headers=api_as("vanthu"))
    assert listed.status_code == 200


def test_demo_outgoing_documents(app, db_session):
    """The demo: ~150 issued documents with both files, consecutive numbers, drafts in each
    state, one recalled."""
    # the demo's are the oldest: documents other tests issue (without files) come later
    documents = db_session.scalars(select(OutgoingDocument).join(
        Draft, OutgoingDocument.draft_id == Draft.id).where(
        Draft.excerpt.not_like("%thử%")).order_by(OutgoingDocument.id)).all()
    assert len(documents) >= 150
    for document in documents[:150]:
        assert {f.role for f in document.files} >= {"signed_scan"}
    by_register = {}
    for document in documents:
        by_register.setdefault((document.register_id, document.year), []).append(
            document.number)
    for numbers in by_register.values():
        assert len(numbers) == len(set(numbers))  # never the same number twice in a series
    states = {d.state for d in db_session.scalars(select(Draft))}
    assert {DRAFTING, UNIT_REVIEW, SIGNER_REVIEW, APPROVED, ISSUED} <= states
    assert any(d.state == RECALLED for d in documents)


def test_reply_draft_starts_from_the_incoming_document(app, client, db_session):
    from app.documents.models import IncomingDocument

    document = db_session.scalar(select(IncomingDocument).where(
        IncomingDocument.field.has(code="CCHC"), IncomingDocument.state != "pending").limit(1))
    login(client, "chuyenvien")
    page = client.get(f"/incoming/{document.id}").get_data(as_text=True)
    assert f"/drafts/new?reply_to={document.id}" in page
    form = client.get(f"/drafts/new?reply_to={document.id}").get_data(as_text=True)
    assert f'value="{document.id}"' in form
