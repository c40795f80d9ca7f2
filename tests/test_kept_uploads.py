"""Files chosen in a form sent back with an error are kept (app/core/kept_uploads.py): the
clerk's scanned PDF survives a mistyped date or a duplicate to confirm, is used once, can be
dropped ("Bỏ"), belongs to its owner only, expires, and still passes every check."""
import io
import json
import os
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.core.kept_uploads import KeptUploads
from app.core.models import DocumentFile
from app.core.timefmt import format_date, today_local
from app.documents.models import IncomingDocument
from app.outgoing.models import Draft
from tests.conftest import form_of, login, pdf, user
from tests.test_incoming import web_form
from tests.test_outgoing import docx_bytes, ids as outgoing_ids

LOST = "không còn được giữ trên máy chủ"


def kept_folder(app) -> Path:
    return Path(app.config["DATA_DIR"]) / "kept"


def tokens(html, field="files"):
    return re.findall(rf'name="kept_{field}" value="([^"]+)"', html)


def count(session):
    session.expire_all()
    return session.scalar(select(func.count(IncomingDocument.id)))


def post_register(client, session, files=(), **values):
    """The registration form as the clerk sends it (typed values over a valid entry)."""
    page = client.get("/incoming/register").get_data(as_text=True)
    overrides = {k: v for k, v in values.items() if k in ("number_symbol",)}
    form = web_form(session, **overrides)
    form.update({k: v for k, v in values.items() if k not in overrides})
    data = form_of(page, submit_now="y", **form)
    if files:
        data["files"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post("/incoming/register", data=data, content_type="multipart/form-data",
                       follow_redirects=True)


def newest(session):
    session.expire_all()
    return session.scalar(select(IncomingDocument).order_by(IncomingDocument.id.desc()))


def test_clerk_keeps_the_scanned_pdf_through_a_wrong_date(app, login_as, db_session):
    client = login_as("vanthu")
    number = f"{uuid.uuid4().int % 10**9}/UBND-VP"
    before = count(db_session)
    first = post_register(client, db_session, files=[(pdf("Về việc giữ tệp"), "Công văn 12.pdf")],
                          number_symbol=number, document_date="31/02/2026")
    html = first.get_data(as_text=True)
    assert first.status_code == 422
    assert "Ngày phải có dạng dd/mm/yyyy" in html
    assert "Đã chọn: Công văn 12.pdf (" in html and "Bỏ" in html
    [token] = tokens(html)
    assert (kept_folder(app) / f"{token}.data").exists()
    assert count(db_session) == before  # nothing saved yet

    # the date fixed, no file chosen again: the document has the kept file
    second = post_register(client, db_session, number_symbol=number, kept_files=token)
    html = second.get_data(as_text=True)
    assert "Đã vào sổ văn bản đến số" in html
    assert "Công văn 12.pdf" in html and "Chưa có tệp" not in html
    document = newest(db_session)
    assert document.number_symbol == number
    [record] = document.files
    assert record.original_name == "Công văn 12.pdf" and record.content_type == "application/pdf"
    assert not (kept_folder(app) / f"{token}.data").exists()  # used once, then gone

    # the same token again (the form sent twice): not attached a second time
    again = post_register(client, db_session, kept_files=token)
    assert again.status_code == 422 and LOST in again.get_data(as_text=True)
    assert count(db_session) == before + 1


def test_kept_file_and_a_new_one_are_both_saved(app, login_as, db_session):
    client = login_as("vanthu")
    first = post_register(client, db_session, files=[(pdf("Một"), "mot.pdf")], excerpt="")
    assert first.status_code == 422 and "Nhập trích yếu nội dung." in first.get_data(as_text=True)
    [token] = tokens(first.get_data(as_text=True))
    second = post_register(client, db_session, files=[(pdf("Hai"), "hai.pdf")],
                           kept_files=token)
    assert "Đã vào sổ" in second.get_data(as_text=True)
    assert sorted(f.original_name for f in newest(db_session).files) == ["hai.pdf", "mot.pdf"]


def test_duplicate_confirmation_keeps_the_file(app, login_as, db_session):
    client = login_as("vanthu")
    number = f"{uuid.uuid4().int % 10**9}/QĐ-UBND"
    assert "Đã vào sổ" in post_register(client, db_session, number_symbol=number) \
        .get_data(as_text=True)
    asked = post_register(client, db_session, files=[(pdf(), "trung.pdf")], number_symbol=number)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 422 and "có thể đã vào sổ" in html
    assert "Đã chọn: trung.pdf" in html
    # the confirmation box is inside the form, sent with the kept file
    assert html.index("<form method=\"post\"") < html.index('name="confirm_duplicate"')
    [token] = tokens(html)
    confirmed = post_register(client, db_session, number_symbol=number, kept_files=token,
                              confirm_duplicate="y")
    assert "Đã vào sổ" in confirmed.get_data(as_text=True)
    assert [f.original_name for f in newest(db_session).files] == ["trung.pdf"]


def test_drop_removes_the_kept_file(app, login_as, db_session):
    client = login_as("vanthu")
    first = post_register(client, db_session, files=[(pdf(), "nham.pdf")],
                          document_date="99/99/2026")
    [token] = tokens(first.get_data(as_text=True))
    second = post_register(client, db_session, kept_files=token, drop_files=token)
    html = second.get_data(as_text=True)
    assert "Đã vào sổ" in html and "Chưa có tệp" in html
    assert newest(db_session).files == []
    assert not (kept_folder(app) / f"{token}.data").exists()


def test_drop_while_the_form_is_still_wrong(app, login_as, db_session):
    client = login_as("vanthu")
    first = post_register(client, db_session, files=[(pdf(), "a.pdf"), (pdf(), "b.pdf")],
                          excerpt="")
    a, b = tokens(first.get_data(as_text=True))
    second = post_register(client, db_session, excerpt="", kept_files=[a, b], drop_files=a)
    html = second.get_data(as_text=True)
    assert second.status_code == 422
    assert "Đã chọn: b.pdf" in html and "Đã chọn: a.pdf" not in html
    assert tokens(html) == [b]


def test_token_of_another_person_is_ignored(app, login_as, db_session):
    with app.test_request_context():
        other = KeptUploads(user(db_session, "chuyenvien"), "incoming")
        other.new = [(pdf("Của người khác"), "cua-nguoi-khac.pdf")]
        other.keep()
        [token] = [item.token for item in other.kept]
    client = login_as("vanthu")
    before = count(db_session)
    response = post_register(client, db_session, kept_files=token)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and LOST in html
    assert "cua-nguoi-khac.pdf" not in html
    assert count(db_session) == before
    assert (kept_folder(app) / f"{token}.data").exists()  # not the clerk's to drop either
    # the form sent again, the message read: it saves without the file
    again = post_register(client, db_session)
    assert "Đã vào sổ" in again.get_data(as_text=True)


def test_expired_kept_file_is_ignored_and_cleaned(app, login_as, db_session, monkeypatch):
    client = login_as("vanthu")
    first = post_register(client, db_session, files=[(pdf(), "cu.pdf")], excerpt="")
    [token] = tokens(first.get_data(as_text=True))
    hours = app.config["KEPT_UPLOAD_HOURS"]
    meta_path = kept_folder(app) / f"{token}.json"
    meta = json.loads(meta_path.read_text("utf-8"))
    meta["created"] -= hours * 3600 + 60
    meta_path.write_text(json.dumps(meta), "utf-8")
    response = post_register(client, db_session, kept_files=token)
    assert response.status_code == 422 and LOST in response.get_data(as_text=True)
    assert not (kept_folder(app) / f"{token}.data").exists()

    # one left behind (a form never sent again) goes when the next file is kept
    abandoned = post_register(client, db_session, files=[(pdf(), "bo-do.pdf")], excerpt="")
    [left] = tokens(abandoned.get_data(as_text=True))
    past = time.time() - hours * 3600 - 60
    for suffix in (".data", ".json"):
        os.utime(kept_folder(app) / f"{left}{suffix}", (past, past))
    post_register(client, db_session, files=[(pdf(), "moi.pdf")], excerpt="")
    assert not (kept_folder(app) / f"{left}.data").exists()
    assert not (kept_folder(app) / f"{left}.json").exists()


def test_bad_file_is_refused_and_not_kept(app, login_as, db_session):
    client = login_as("vanthu")
    response = post_register(client, db_session, document_date="31/02/2026", files=[
        (b"MZ\x90\x00\x03" + b"\x00" * 200, "virus.pdf"), (pdf(), "tot.pdf")])
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "virus.pdf: Định dạng tệp không được chấp nhận" in html
    assert "Đã chọn: tot.pdf" in html and "Đã chọn: virus.pdf" not in html
    assert len(tokens(html)) == 1


def test_kept_file_still_passes_the_checks(app, login_as, db_session, monkeypatch):
    client = login_as("vanthu")
    files_before = db_session.scalar(select(func.count(DocumentFile.id)))
    first = post_register(client, db_session, files=[(pdf(pages=3), "day.pdf")], excerpt="")
    [token] = tokens(first.get_data(as_text=True))
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 100)  # the limit tightened meanwhile
    before = count(db_session)
    response = post_register(client, db_session, kept_files=token)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Tệp quá lớn" in html
    assert count(db_session) == before
    assert db_session.scalar(select(func.count(DocumentFile.id))) == files_before
    assert tokens(html) == [token]  # still listed: the clerk may drop it or fix the limit


def test_drafter_keeps_the_draft_file(app, client, db_session):
    known = outgoing_ids(db_session)
    login(client, "chuyenvien")
    page = client.get("/drafts/new").get_data(as_text=True)
    fields = dict(document_type_id=str(known["cong_van"]), urgency_id=str(known["urgency"]),
                  secrecy_id=str(known["secrecy"]), signer_id=str(known["signer_director"]),
                  drafting_department_id=str(known["cchc"]), field_id="",
                  internal_unit_ids=[str(known["tcbc"])])
    first = client.post("/drafts/new", data=form_of(
        page, excerpt="", files=[(io.BytesIO(docx_bytes()), "Dự thảo kế hoạch.docx")], **fields),
        content_type="multipart/form-data")
    html = first.get_data(as_text=True)
    assert first.status_code == 422 and "Đã chọn: Dự thảo kế hoạch.docx" in html
    [token] = tokens(html)
    excerpt = f"V/v giữ tệp dự thảo {uuid.uuid4().hex[:6]}"
    second = client.post("/drafts/new", data=form_of(
        page, excerpt=excerpt, kept_files=token, **fields),
        content_type="multipart/form-data", follow_redirects=True)
    assert "Đã lưu dự thảo." in second.get_data(as_text=True)
    draft = db_session.scalar(select(Draft).where(Draft.excerpt == excerpt))
    assert [v.file.original_name for v in draft.versions] == ["Dự thảo kế hoạch.docx"]
    assert not (kept_folder(app) / f"{token}.data").exists()


def test_draft_token_does_not_work_on_another_form(app, client, db_session):
    """A file kept for a draft is not an attachment of an incoming document."""
    with app.test_request_context():
        kept = KeptUploads(user(db_session, "vanthu"), "draft",
                           allowed=("pdf", "image", "office"))
        kept.new = [(pdf(), "du-thao.pdf")]
        kept.keep()
        token = kept.kept[0].token
    login(client, "vanthu")
    response = post_register(client, db_session, kept_files=token)
    assert response.status_code == 422 and LOST in response.get_data(as_text=True)


def test_the_same_file_chosen_again_is_saved_once(app, login_as, db_session):
    client = login_as("vanthu")
    scan = pdf("Chọn lại")
    first = post_register(client, db_session, files=[(scan, "chon-lai.pdf")], excerpt="")
    [token] = tokens(first.get_data(as_text=True))
    second = post_register(client, db_session, files=[(scan, "chon-lai.pdf")], kept_files=token)
    assert "Đã vào sổ" in second.get_data(as_text=True)
    assert [f.original_name for f in newest(db_session).files] == ["chon-lai.pdf"]


def test_officer_keeps_the_request_form_file(app, login_as, db_session):
    from app.org.models import Department
    from app.request_forms.models import RequestForm

    client = login_as("chuyenvien")
    unit = db_session.scalar(select(Department).where(Department.code == "TCBC"))
    subject = f"Đề nghị số liệu {uuid.uuid4().hex[:6]}"
    page = client.get("/request/new").get_data(as_text=True)
    values = dict(target=f"d:{unit.id}", subject=subject, content="Đề nghị cung cấp số liệu.")
    first = client.post("/request/new", data=form_of(
        page, deadline="32/13/2026", files=[(io.BytesIO(pdf()), "so-lieu.pdf")], **values),
        content_type="multipart/form-data")
    html = first.get_data(as_text=True)
    assert first.status_code == 422 and "Đã chọn: so-lieu.pdf" in html
    [token] = tokens(html)
    deadline = format_date(today_local() + timedelta(days=7))
    second = client.post("/request/new", data=form_of(page, kept_files=token,
                                                      deadline=deadline, **values),
                         content_type="multipart/form-data", follow_redirects=True)
    assert "Đã gửi phiếu yêu cầu." in second.get_data(as_text=True)
    db_session.expire_all()
    item = db_session.scalar(select(RequestForm).where(RequestForm.subject == subject))
    assert [f.original_name for f in item.files] == ["so-lieu.pdf"]


def test_unit_leader_keeps_the_news_cover(app, login_as, db_session):
    from PIL import Image

    from app.catalogs.models import NewsCategory
    from app.news.models import NewsItem

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    client = login_as("truongphong")
    title = f"Tin có ảnh bìa {uuid.uuid4().hex[:6]}"
    category = db_session.scalar(select(NewsCategory.id).order_by(NewsCategory.id))
    page = client.get("/news/new").get_data(as_text=True)
    values = dict(title=title, summary="Tóm tắt.", body="<p>Nội dung.</p>",
                  category_id=str(category))
    first = client.post("/news/new", data=form_of(
        page, publish_at="31/02/2026 08:00", cover=(io.BytesIO(buffer.getvalue()), "bia.png"),
        **values), content_type="multipart/form-data")
    html = first.get_data(as_text=True)
    assert first.status_code == 422 and "Đã chọn: bia.png" in html
    [token] = tokens(html, "cover")
    second = client.post("/news/new", data=form_of(page, kept_cover=token, **values),
                         content_type="multipart/form-data")
    assert second.status_code == 302, second.get_data(as_text=True)[-1500:]
    db_session.expire_all()
    item = db_session.scalar(select(NewsItem).where(NewsItem.title == title))
    assert item.cover_image is not None
