"""Decompression bombs: a small PNG whose header announces tens or hundreds of megapixels is
refused from its header (MAX_IMAGE_PIXELS, 40 megapixels), before any pixel is decoded, with a
Vietnamese message — through the real upload routes (news images, incoming document scans) and
when a stored image is rendered into a dossier's PDF."""
import io
import struct
import time
import zlib

import pytest
from PIL import Image

from app.core.errors import DomainError
from app.core.files import check_upload
from app.dossiers.pdf import image_to_pdf
from tests.conftest import csrf_token

REFUSED = "Ảnh quá lớn"


def png_bomb(width, height) -> bytes:
    """A valid 1-bit greyscale PNG of width × height white points, compressed to a few
    kilobytes (what an attacker would send)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\0" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0,
                                                               0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def bombs():
    # 64 megapixels: under Pillow's own limit (89 M warns, 179 M refuses), over ours;
    # 400 megapixels: the classic bomb.
    return {"64M": png_bomb(8000, 8000), "400M": png_bomb(20000, 20000)}


def test_the_bombs_are_small_files(bombs):
    assert all(len(data) < 200_000 for data in bombs.values())
    with Image.open(io.BytesIO(bombs["64M"])) as image:
        assert image.size == (8000, 8000)


def test_the_limit_is_configured_and_given_to_pillow(app):
    assert app.config["MAX_IMAGE_PIXELS"] == 40_000_000
    assert Image.MAX_IMAGE_PIXELS == 40_000_000


def test_news_image_upload_refuses_a_bomb_from_its_header(login_as, bombs):
    client = login_as("chuyenvien")
    token = csrf_token(client.get("/news/new").get_data(as_text=True))
    for data in bombs.values():
        started = time.monotonic()
        response = client.post("/news/image/upload", data={"file": (io.BytesIO(data), "a.png")},
                               headers={"X-CSRFToken": token},
                               content_type="multipart/form-data")
        assert time.monotonic() - started < 2
        assert response.status_code == 422
        assert REFUSED in response.get_json()["message"]
        assert "tối đa 40 triệu điểm ảnh" in response.get_json()["message"]


def test_news_image_api_refuses_a_bomb(client, api_as, bombs):
    response = client.post("/api/v1/news/images", headers=api_as("chuyenvien"),
                           data={"file": (io.BytesIO(bombs["64M"]), "a.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert REFUSED in str(response.get_json()["message"])


def test_incoming_scan_upload_refuses_a_bomb(app, client, api_as, db_session, bombs):
    from tests.dossier_helpers import register_incoming

    document = register_incoming(app, db_session)
    db_session.commit()
    count = len(document.files)
    response = client.post(f"/api/v1/incoming/{document.id}/files", headers=api_as("vanthu"),
                           data={"files": (io.BytesIO(bombs["64M"]), "scan.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert REFUSED in str(response.get_json()["message"])
    db_session.expire_all()
    assert len(db_session.get(type(document), document.id).files) == count


def test_an_image_within_the_limit_is_still_accepted(app):
    picture = io.BytesIO()
    Image.new("RGB", (3000, 2000), "white").save(picture, "PNG")  # 6 megapixels
    with app.app_context():
        info = check_upload(picture.getvalue(), "scan.png", max_bytes=10**8)
    assert info.content_type == "image/png"


def test_a_stored_bomb_is_not_rendered_into_a_pdf(app, bombs):
    with app.app_context():
        started = time.monotonic()
        with pytest.raises(DomainError, match=REFUSED):
            image_to_pdf(bombs["64M"])
        assert time.monotonic() - started < 2
