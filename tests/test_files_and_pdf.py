"""Uploads are checked by parsing, stored under generated names and served with an RFC 6266
header; the arrival stamp (dấu ĐẾN) is drawn on a copy of the first page only."""
import hashlib
import io
import os
import shutil
import stat
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError
from reportlab.pdfgen import canvas
from sqlalchemy import func, select

from app.core.errors import DomainError
from app.core.files import check_upload, content_disposition, file_path, save_file
from app.core.models import DocumentFile
from app.core.pdf import make_demo_pdf, register_fonts, stamp_arrival
from tests.conftest import form_of
from tests.incoming_helpers import entry

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
MB = 1024 * 1024
PREVIEW = Path(__file__).resolve().parent.parent / "test-output" / "stamp-preview.png"


def nfd(text):
    return unicodedata.normalize("NFD", text)


@pytest.fixture(scope="module")
def demo_pdf():
    return make_demo_pdf("Công văn về việc hỏa tốc", [
        "Kính gửi: Sở Nội vụ tỉnh Hà Nam",
        "Ủy ban nhân dân tỉnh đề nghị thỏa thuận về việc hòa giải.",
    ], font_path=FONT, pages=2)


def refused(data, filename="tep.pdf", **kwargs):
    kwargs.setdefault("max_bytes", 10 * MB)
    with pytest.raises(DomainError) as excinfo:
        check_upload(data, filename, **kwargs)
    return str(excinfo.value.message)


def image_bytes(fmt, frames=1):
    images = [Image.new("RGB", (40, 30), color) for color in ("red", "blue", "green")[:frames]]
    out = io.BytesIO()
    images[0].save(out, fmt, save_all=frames > 1, append_images=images[1:])
    return out.getvalue()


def zip_bytes(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


# --- check_upload: PDF ---------------------------------------------------------------------

def test_real_pdf_is_accepted_with_its_facts(demo_pdf):
    info = check_upload(demo_pdf, "C:\\Users\\vanthu\\" + nfd("Công văn đến.pdf"), max_bytes=MB)
    assert info.page_count == 2
    assert info.size == len(demo_pdf)
    assert info.sha256 == hashlib.sha256(demo_pdf).hexdigest()
    assert info.content_type == "application/pdf"
    assert info.original_name == "Công văn đến.pdf"  # NFC, folders stripped
    assert info.storage_name.endswith(".pdf") and len(info.storage_name) == 36
    assert "Độc lập - Tự do - Hạnh phúc" in info.text
    assert "Ủy ban nhân dân tỉnh đề nghị thỏa thuận" in info.text
    assert "  " not in info.text and "\n" not in info.text


def test_extracted_text_is_nfc():
    # A PDF whose text is stored decomposed (base letter + combining marks) extracts as NFD.
    regular, _bold = register_fonts(FONT)
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.setFont(regular, 12)
    c.drawString(72, 720, nfd("Quyết định về việc thành lập Hội đồng"))
    c.save()
    text = check_upload(out.getvalue(), "qd.pdf", max_bytes=MB).text
    assert "Quyết định về việc thành lập Hội đồng" in text
    assert unicodedata.normalize("NFC", text) == text


def test_executable_named_pdf_is_refused():
    message = refused(b"MZ\x90\x00\x03\x00\x00\x00" + os.urandom(2000), "cong-van.pdf")
    assert message.startswith("Định dạng tệp không được chấp nhận")
    assert "PDF" in message and "JPEG, PNG, TIFF" in message


def test_damaged_pdf_is_refused(demo_pdf):
    for data in (demo_pdf[: len(demo_pdf) // 2], b"%PDF-1.7\nrac rac rac\n%%EOF\n"):
        assert refused(data).startswith("Tệp PDF bị hỏng hoặc không đọc được.")


def test_password_protected_pdf_is_refused(demo_pdf):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(demo_pdf)))
    writer.encrypt("mat-khau-mo-tep")
    out = io.BytesIO()
    writer.write(out)
    assert refused(out.getvalue()).startswith("Tệp PDF được bảo vệ bằng mật khẩu")


def test_pdf_with_only_an_owner_password_is_accepted(demo_pdf):
    # Such files open in any viewer without a password (they only restrict printing/copying).
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(demo_pdf)))
    writer.encrypt("", owner_password="chu-so-huu")
    out = io.BytesIO()
    writer.write(out)
    assert check_upload(out.getvalue(), "a.pdf", max_bytes=MB).page_count == 2


# --- check_upload: encrypted and slightly damaged PDFs (tests/data/pdf, see SOURCES.md) -------

SAMPLES = Path(__file__).resolve().parent / "data" / "pdf"
PASSWORD_MESSAGE = "Tệp PDF được bảo vệ bằng mật khẩu"
DAMAGED_MESSAGE = "Tệp PDF bị hỏng hoặc không đọc được."


def sample(name):
    return (SAMPLES / name).read_bytes()


@pytest.mark.parametrize("name", [
    "aes256-user-password.pdf",  # AES-256 (R6), user and owner passwords
    "aes128-user-password.pdf",  # AES-128 (R4)
    # AES-256 with a user password and an EMPTY owner password: pypdf's decrypt("") succeeds
    # (as owner) although every viewer asks for the password (pdf.js's own test says so).
    "aes256-user-password-empty-owner.pdf",
])
def test_pdf_with_a_user_password_gets_the_password_message(name):
    message = refused(sample(name), name)
    assert message.startswith(PASSWORD_MESSAGE) and "hỏng" not in message


@pytest.mark.parametrize("name", [
    "aes256-owner-password-only.pdf", "rc4-128-owner-password-only.pdf",
    "rc4-40-owner-password-only.pdf"])
def test_real_pdfs_with_only_an_owner_password_are_accepted_as_they_are(name):
    data = sample(name)
    info = check_upload(data, name, max_bytes=MB)
    assert info.page_count == 1 and info.note is None
    assert info.sha256 == hashlib.sha256(data).hexdigest()  # stored unchanged


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256", "RC4-128"])
def test_owner_password_only_in_every_algorithm_is_accepted(demo_pdf, algorithm):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(demo_pdf)))
    writer.encrypt("", owner_password="chu-so-huu", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    assert check_upload(out.getvalue(), "a.pdf", max_bytes=MB).page_count == 2
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(demo_pdf)))
    writer.encrypt("mat-khau", owner_password="chu-so-huu", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    assert refused(out.getvalue()).startswith(PASSWORD_MESSAGE)


def test_without_an_aes_library_encrypted_pdfs_are_not_called_damaged(monkeypatch, caplog):
    """pypdf needs `cryptography` for AES; without it the reader raises DependencyError even
    before any password is tried — the file is encrypted, not damaged, and the log says what
    the server lacks."""
    import logging

    import pypdf._crypt_providers._fallback as fallback
    import pypdf._encryption as encryption

    logger = logging.getLogger("app.core.pdf")  # Alembic's logging setup may have disabled it
    monkeypatch.setattr(logger, "disabled", False)
    caplog.set_level(logging.ERROR, logger=logger.name)
    for name in ("CryptAES", "aes_cbc_decrypt", "aes_cbc_encrypt", "aes_ecb_decrypt",
                 "aes_ecb_encrypt"):
        monkeypatch.setattr(encryption, name, getattr(fallback, name))
    for name in ("aes256-owner-password-only.pdf", "aes256-user-password.pdf"):
        assert refused(sample(name), name).startswith(PASSWORD_MESSAGE)
    assert "cryptography" in caplog.text


@pytest.mark.parametrize("name", ["broken-startxref.pdf", "xref-keyword-missing.pdf"])
def test_slightly_damaged_pdf_is_accepted_unchanged_with_a_note(name):
    """startxref pointing to the wrong offset; cross-reference entries without the `xref`
    keyword: pypdf's strict mode refuses both, its lenient mode (like viewers) reads them."""
    data = sample(name)
    with pytest.raises(PdfReadError, match="xref"):  # what makes them "slightly damaged"
        PdfReader(io.BytesIO(data), strict=True)
    info = check_upload(data, "Công văn hỏng nhẹ.pdf", max_bytes=MB)
    assert info.page_count == 1
    assert info.sha256 == hashlib.sha256(data).hexdigest()  # the original bytes are kept
    assert info.note.startswith("Tệp PDF «Công văn hỏng nhẹ.pdf» có lỗi nhẹ về cấu trúc")
    assert "lưu nguyên tệp gốc" in info.note


def test_unreadable_pdf_stays_refused_as_damaged():
    # Fuzzed: no startxref, a page tree of 213 million pages. Neither mode reads it.
    assert refused(sample("unreadable-no-startxref.pdf")).startswith(DAMAGED_MESSAGE)


def _register_incoming(client, session, data, name):
    """The clerk's registration form (tests/test_incoming.py posts it the same way)."""
    values = {k: (v.strftime("%d/%m/%Y %H:%M") if k == "arrival_at" else
                  v.strftime("%d/%m/%Y") if k == "document_date" else str(v))
              for k, v in entry(session).items()}
    page = client.get("/incoming/register").get_data(as_text=True)
    return client.post("/incoming/register", data=form_of(
        page, submit_now="y", files=[(io.BytesIO(data), name)], **values),
        content_type="multipart/form-data", follow_redirects=True)


def test_registering_an_incoming_document_with_such_pdfs(login_as, db_session, app):
    """Through the web, as the clerk: the password-protected file is refused with the password
    message and nothing is saved; the slightly damaged one is registered, stored byte for
    byte, and the clerk is told."""
    client = login_as("vanthu")
    files = lambda: db_session.scalar(select(func.count(DocumentFile.id)))  # noqa: E731
    before = files()
    response = _register_incoming(client, db_session, sample("aes256-user-password.pdf"),
                                  "Công văn có mật khẩu.pdf")
    assert response.status_code == 422
    assert PASSWORD_MESSAGE in response.get_data(as_text=True)
    assert files() == before

    data = sample("broken-startxref.pdf")
    response = _register_incoming(client, db_session, data, "Công văn hỏng nhẹ.pdf")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Đã vào sổ văn bản đến số" in html
    assert "Tệp PDF «Công văn hỏng nhẹ.pdf» có lỗi nhẹ về cấu trúc" in html
    db_session.expire_all()
    record = db_session.scalar(select(DocumentFile).order_by(DocumentFile.id.desc()))
    assert record.original_name == "Công văn hỏng nhẹ.pdf" and record.page_count == 1
    assert file_path(app.config["DATA_DIR"], record.storage_name).read_bytes() == data


def test_pdf_samples_are_small():
    assert all(path.stat().st_size < 200_000 for path in SAMPLES.glob("*.pdf"))
    assert (SAMPLES / "SOURCES.md").is_file()


# --- check_upload: images, office files, limits ----------------------------------------------

@pytest.mark.parametrize("fmt, content_type, suffix", [
    ("PNG", "image/png", ".png"), ("JPEG", "image/jpeg", ".jpg"), ("TIFF", "image/tiff", ".tif")])
def test_images_are_accepted(fmt, content_type, suffix):
    info = check_upload(image_bytes(fmt), "ảnh chụp." + fmt.lower(), max_bytes=MB)
    assert (info.content_type, info.page_count, info.text) == (content_type, 1, None)
    assert info.storage_name.endswith(suffix)


def test_multipage_tiff_counts_its_frames():
    assert check_upload(image_bytes("TIFF", frames=3), "fax.tif", max_bytes=MB).page_count == 3


def test_content_type_comes_from_the_content_not_the_name():
    info = check_upload(image_bytes("PNG"), "ban-scan.jpg", max_bytes=MB)
    assert info.content_type == "image/png" and info.storage_name.endswith(".png")


def test_fake_or_broken_images_are_refused():
    assert refused(os.urandom(4000), "anh.png").startswith("Định dạng tệp không được chấp nhận")
    broken = image_bytes("PNG")[:60]
    assert refused(broken, "anh.png") == "Tệp ảnh bị hỏng hoặc không đọc được."


def test_empty_and_oversize_files_are_refused(demo_pdf):
    assert refused(b"") == "Tệp rỗng."
    assert refused(b"%PDF-" + b"0" * MB, max_bytes=MB) == (
        "Tệp quá lớn: dung lượng tối đa là 1 MB.")
    assert "0,5 MB" in refused(demo_pdf * 20, max_bytes=MB // 2)


def test_office_files_only_when_allowed():
    docx = zip_bytes({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
    message = refused(docx, "du-thao.docx")
    assert "Word" not in message and "PDF" in message
    info = check_upload(docx, "Dự thảo.docx", max_bytes=MB, allowed=("pdf", "office"))
    assert info.content_type.endswith("wordprocessingml.document")
    assert info.storage_name.endswith(".docx") and info.page_count is None

    xlsx = zip_bytes({"xl/workbook.xml": "<workbook/>"})
    odt = zip_bytes({"mimetype": "application/vnd.oasis.opendocument.text"})
    doc = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "WordDocument\0".encode("utf-16-le")
    for data, suffix in ((xlsx, ".xlsx"), (odt, ".odt"), (doc, ".doc")):
        info = check_upload(data, "x", max_bytes=MB, allowed=("office",))
        assert info.storage_name.endswith(suffix)

    other_zip = zip_bytes({"setup.exe": "MZ"})
    assert "Word, Excel" in refused(other_zip, "a.docx", allowed=("office",))
    assert refused(b"PK\x03\x04" + os.urandom(300), "a.docx", allowed=("office",)) == (
        "Tệp văn bản bị hỏng hoặc không đọc được.")


def test_original_name_is_cleaned():
    png = image_bytes("PNG")
    info = check_upload(png, "../../etc/Bản\x00 scan\u202egnp.exe", max_bytes=MB)
    assert info.original_name == "Bản scangnp.exe"
    long_name = "Tờ trình " * 60 + ".png"
    cleaned = check_upload(png, long_name, max_bytes=MB).original_name
    assert len(cleaned) <= 255 and cleaned.endswith(".png")
    assert check_upload(png, "..", max_bytes=MB).original_name == "tep-tai-len.png"


# --- storage and download ------------------------------------------------------------------

def test_save_file_writes_under_a_generated_name(tmp_path, demo_pdf):
    info = check_upload(demo_pdf, "Công văn.pdf", max_bytes=MB)
    saved = save_file(tmp_path, demo_pdf, info)
    path = file_path(tmp_path, saved.storage_name)
    assert path == tmp_path / "files" / saved.storage_name[:2] / saved.storage_name
    assert path.read_bytes() == demo_pdf
    assert hashlib.sha256(path.read_bytes()).hexdigest() == saved.sha256
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # owner-only (issue 13, point 16)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [saved.storage_name]  # no temp file left
    assert "Công" not in str(path)


def test_save_file_refuses_bytes_that_were_not_checked(tmp_path, demo_pdf):
    info = check_upload(demo_pdf, "a.pdf", max_bytes=MB)
    with pytest.raises(ValueError):
        save_file(tmp_path, demo_pdf + b"x", info)


@pytest.mark.parametrize("name", ["../x", "..", "a/b.pdf", "a\\b.pdf", "", "ab..cd", ".hidden"])
def test_file_path_refuses_unsafe_names(tmp_path, name):
    with pytest.raises(ValueError):
        file_path(tmp_path, name)


def test_content_disposition_rfc6266():
    header = content_disposition(nfd("Công văn số 12 – Sở Nội vụ.pdf"))
    assert header == (
        'attachment; filename="Cong van so 12 _ So Noi vu.pdf"; '
        "filename*=UTF-8''C%C3%B4ng%20v%C4%83n%20s%E1%BB%91%2012%20%E2%80%93%20"
        "S%E1%BB%9F%20N%E1%BB%99i%20v%E1%BB%A5.pdf")
    assert header.isascii()
    assert content_disposition("Đơn \"gấp\";.pdf", inline=True).startswith(
        'inline; filename="Don _gap__.pdf"; ')


# --- the arrival stamp ---------------------------------------------------------------------

def test_stamp_arrival_marks_only_a_copy_of_the_first_page(demo_pdf):
    original = bytes(demo_pdf)
    stamped = stamp_arrival(demo_pdf, agency_name=nfd("Sở Nội vụ tỉnh Hà Nam"), number=123,
                            arrival_date="05/03/2026 14:30", routed_to="Phòng Tổ chức cán bộ",
                            font_path=FONT)
    assert demo_pdf == original and stamped != demo_pdf
    before, after = PdfReader(io.BytesIO(demo_pdf)), PdfReader(io.BytesIO(stamped))
    assert len(after.pages) == len(before.pages) == 2

    first = " ".join(after.pages[0].extract_text().split())  # label and value: two runs
    for expected in ("ĐẾN", "Số: 123", "Ngày: 05/03/2026 14:30", "SỞ NỘI VỤ TỈNH HÀ NAM",
                     "Chuyển: Phòng Tổ chức cán bộ", "Số và ký hiệu hồ sơ: ...",
                     "Độc lập - Tự do - Hạnh phúc"):
        assert expected in first, expected
    assert after.pages[1].extract_text() == before.pages[1].extract_text()
    assert after.pages[1].get_contents().get_data() == before.pages[1].get_contents().get_data()
    assert check_upload(stamped, "stamped.pdf", max_bytes=MB).page_count == 2

    if shutil.which("pdftoppm"):  # a picture for people to look at; not needed to pass
        PREVIEW.parent.mkdir(exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile",
                        "-", str(PREVIEW.with_suffix(""))], input=stamped, check=True)
        assert PREVIEW.stat().st_size > 0


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_stamp_on_rotated_page_is_upright_in_the_top_left(demo_pdf, rotation):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(demo_pdf)))
    writer.pages[0].rotation = rotation
    out = io.BytesIO()
    writer.write(out)
    stamped = PdfReader(io.BytesIO(stamp_arrival(out.getvalue(), agency_name="Sở Nội vụ",
                                                 number="7", arrival_date="01/01/2026",
                                                 font_path=FONT)))
    page = stamped.pages[0]
    assert page.rotation == rotation and "ĐẾN" in page.extract_text()
    # The overlay is mapped with a matrix that turns it back by the page's rotation.
    turn = {90: "0 1 -1 0", 180: "-1 0 0 -1", 270: "0 -1 1 0"}[rotation]
    assert f"{turn} ".encode() in page.get_contents().get_data().replace(b".0 ", b" ")


def test_stamping_a_damaged_pdf_is_a_domain_error(demo_pdf):
    with pytest.raises(DomainError) as excinfo:
        stamp_arrival(demo_pdf[:2000], agency_name="Sở Nội vụ", number=1,
                      arrival_date="01/01/2026", font_path=FONT)
    assert str(excinfo.value).startswith("Tệp PDF bị hỏng")


def test_demo_pdf_is_small_and_deterministic():
    data = make_demo_pdf("Tờ trình", ["Dòng một"], font_path=FONT)
    assert data == make_demo_pdf("Tờ trình", ["Dòng một"], font_path=FONT)
    assert PdfReader(io.BytesIO(data)).pages[0].mediabox.width == pytest.approx(595.28, abs=0.1)
    assert len(data) < 60_000  # subsets of the fonts, not the 700 KB originals
