"""Internal news through HTTP as the roles act: the workflow (draft → chờ biên tập → chờ duyệt
→ đã xuất bản, returns at both levels, unpublish), who sees what (web, API, images, portal),
scheduled publication, revisions, notifications, and bad input that saves nothing."""
import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.core.timefmt import local_now, local_to_utc, utcnow
from app.news.models import NewsEvent, NewsImage, NewsItem, NewsRevision
from app.notifications.models import Notification
from app.org.models import EofficeUser
from tests.conftest import csrf_token, form_of

OFFICER, UNIT_LEADER, AGENCY_LEADER = "chuyenvien", "truongphong", "lanhdao"
OTHER_UNIT_LEADER, CLERK, ADMIN, OFFICE_LEADER = "tp.tcbc", "vanthu", "quantri", "lanhdaovp"


def png(size=(40, 30), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def category_id(db_session):
    from app.catalogs.models import NewsCategory

    return db_session.scalar(select(NewsCategory.id).order_by(NewsCategory.id))


def write_news(client, db_session, title, body="<p>Nội dung tin.</p>", cover=None, **fields):
    """Write a draft through the form; returns its id."""
    page = client.get("/news/new").get_data(as_text=True)
    data = form_of(page, title=title, summary="Tóm tắt tin.", body=body,
                   category_id=str(category_id(db_session)), **fields)
    if cover is not None:
        data["cover"] = (io.BytesIO(cover), "ảnh bìa.png")
    response = client.post("/news/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def act(client, item_id, action, note=None, expect=302):
    page = client.get(f"/news/{item_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', html)
    data = {"csrf_token": csrf_token(html), "version": version.group(1) if version else ""}
    if note is not None:
        data["note"] = note
    response = client.post(f"/news/{item_id}/do/{action}", data=data)
    assert response.status_code == expect, response.get_data(as_text=True)[-1500:]
    return response


def edit(client, item_id, **changes):
    page = client.get(f"/news/{item_id}/edit")
    assert page.status_code == 200, page.status_code
    html = page.get_data(as_text=True)
    fields = {
        "title": re.search(r'id="title" [^>]*value="([^"]*)"', html).group(1),
        "summary": re.search(r'<textarea[^>]*id="summary"[^>]*>\s*([^<]*)</textarea>',
                             html).group(1),
        "body": "<p>Nội dung đã biên tập.</p>",
        "category_id": re.search(r'<option selected value="(\d+)"', html).group(1),
        "version": re.search(r'id="version" name="version" type="hidden" value="(\d+)"',
                             html).group(1),
    }
    fields.update(changes)
    return client.post(f"/news/{item_id}/edit", data=form_of(html, **fields),
                       content_type="multipart/form-data")


def state_of(db_session, item_id):
    db_session.expire_all()
    return db_session.get(NewsItem, item_id).state


def notices(db_session, username, kind):
    user = db_session.scalar(select(EofficeUser).where(EofficeUser.username == username))
    return db_session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.kind == kind))


def flashed(client, item_id):
    return client.get(f"/news/{item_id}").get_data(as_text=True)


# ---------------------------------------------------------------- the journey

def test_officer_to_published_with_a_return_at_each_level(app, login_as, db_session):
    client = login_as(OFFICER)
    item_id = write_news(client, db_session, "Hội nghị cán bộ, công chức năm 2026", cover=png())
    item = db_session.get(NewsItem, item_id)
    assert item.state == "draft" and item.cover_image is not None
    assert len(item.revisions) == 1 and item.events[0].action == "create"

    # A draft is the author's alone.
    for other in (UNIT_LEADER, AGENCY_LEADER, CLERK, OTHER_UNIT_LEADER):
        assert login_as(other).get(f"/news/{item_id}").status_code == 404, other

    client = login_as(OFFICER)
    page = client.get(f"/news/{item_id}").get_data(as_text=True)
    assert "Gửi lãnh đạo đơn vị" in page and "Duyệt và xuất bản" not in page
    before = notices(db_session, UNIT_LEADER, "news.submitted")
    act(client, item_id, "submit")
    assert state_of(db_session, item_id) == "submitted"
    assert notices(db_session, UNIT_LEADER, "news.submitted") == before + 1
    # The author can no longer change it at the leader's desk.
    assert client.get(f"/news/{item_id}/edit").status_code == 302
    act(client, item_id, "forward")
    assert state_of(db_session, item_id) == "submitted"

    # Another unit's leader and the clerk do not see it; the unit leader edits it.
    assert login_as(OTHER_UNIT_LEADER).get(f"/news/{item_id}").status_code == 404
    assert login_as(CLERK).get(f"/news/{item_id}").status_code == 404
    client = login_as(UNIT_LEADER)
    assert edit(client, item_id, title="Hội nghị cán bộ, công chức Sở Nội vụ năm 2026"
                ).status_code == 302
    db_session.expire_all()
    item = db_session.get(NewsItem, item_id)
    assert item.title.endswith("Sở Nội vụ năm 2026") and len(item.revisions) == 2
    assert item.revisions[0].editor.username == UNIT_LEADER
    # Return at the unit level needs a comment.
    page = act(client, item_id, "return", note="  ", expect=422).get_data(as_text=True)
    assert "Nhập ý kiến trả lại." in page
    assert state_of(db_session, item_id) == "submitted"
    act(client, item_id, "forward")
    assert state_of(db_session, item_id) == "pending"
    assert notices(db_session, AGENCY_LEADER, "news.pending") >= 1

    # The agency leader returns it with a comment; the author is told.
    client = login_as(AGENCY_LEADER)
    before = notices(db_session, OFFICER, "news.returned")
    act(client, item_id, "return", note="Bổ sung số liệu, ảnh rõ hơn.")
    assert state_of(db_session, item_id) == "returned"
    assert notices(db_session, OFFICER, "news.returned") == before + 1

    client = login_as(OFFICER)
    page = client.get(f"/news/{item_id}").get_data(as_text=True)
    assert "Bổ sung số liệu, ảnh rõ hơn." in page
    assert edit(client, item_id, body="<p>Đã bổ sung số liệu: 120 đại biểu.</p>"
                ).status_code == 302
    act(client, item_id, "submit")
    act(login_as(UNIT_LEADER), item_id, "forward")
    before = notices(db_session, OFFICER, "news.published")
    act(login_as(AGENCY_LEADER), item_id, "publish")
    db_session.expire_all()
    item = db_session.get(NewsItem, item_id)
    assert item.state == "published" and item.published_at <= utcnow()
    assert item.publisher.username == AGENCY_LEADER
    assert notices(db_session, OFFICER, "news.published") == before + 1
    assert [e.action for e in item.events] == [
        "create", "submit", "edit", "forward", "return", "edit", "submit", "forward", "publish"]

    # Published: everybody logged in reads it, the administrator too; history and revisions.
    for reader in (CLERK, ADMIN, OTHER_UNIT_LEADER):
        client = login_as(reader)
        page = client.get(f"/news/{item_id}").get_data(as_text=True)
        assert "120 đại biểu" in page and "Các phiên bản" in page, reader
        assert item.title in client.get("/news/").get_data(as_text=True)
        assert client.get(item.cover_image.url).status_code == 200


def test_nobody_approves_their_own_item(app, login_as, db_session):
    # A unit leader's own item goes straight to the agency leader.
    client = login_as(UNIT_LEADER)
    item_id = write_news(client, db_session, "Tin do trưởng phòng viết")
    page = client.get(f"/news/{item_id}").get_data(as_text=True)
    assert "Trình lãnh đạo cơ quan" in page and "Gửi lãnh đạo đơn vị" not in page
    act(client, item_id, "submit_up")
    assert state_of(db_session, item_id) == "pending"
    act(client, item_id, "publish")  # not theirs to publish
    assert state_of(db_session, item_id) == "pending"

    # An agency leader's own item waits for another agency leader.
    client = login_as(AGENCY_LEADER)
    own_id = write_news(client, db_session, "Tin do giám đốc viết")
    act(client, own_id, "submit_up")
    assert "Duyệt và xuất bản" not in client.get(f"/news/{own_id}").get_data(as_text=True)
    act(client, own_id, "publish")
    assert client.get(f"/news/{own_id}/edit").status_code == 302
    assert state_of(db_session, own_id) == "pending"
    act(login_as("pgd.nga"), own_id, "publish")
    assert state_of(db_session, own_id) == "published"


def test_office_leader_edits_the_office_and_does_not_publish(app, login_as, db_session):
    item_id = write_news(login_as(CLERK), db_session, "Thông báo của văn thư")
    act(login_as(CLERK), item_id, "submit")
    assert login_as(UNIT_LEADER).get(f"/news/{item_id}").status_code == 404
    client = login_as(OFFICE_LEADER)
    act(client, item_id, "forward")
    assert state_of(db_session, item_id) == "pending"
    act(client, item_id, "publish")  # Art. 6.2c: the agency leader publishes
    assert state_of(db_session, item_id) == "pending"


def test_unpublish_needs_a_reason_and_hides_the_item(app, login_as, db_session):
    item_id = write_news(login_as(UNIT_LEADER), db_session, "Tin sẽ bị gỡ")
    act(login_as(UNIT_LEADER), item_id, "submit_up")
    client = login_as(AGENCY_LEADER)
    act(client, item_id, "publish")
    assert login_as(CLERK).get(f"/news/{item_id}").status_code == 200
    client = login_as(AGENCY_LEADER)
    act(client, item_id, "unpublish", note="", expect=422)
    act(client, item_id, "unpublish", note="Thông tin chưa chính xác.")
    assert state_of(db_session, item_id) == "unpublished"
    assert login_as(CLERK).get(f"/news/{item_id}").status_code == 404
    assert login_as(UNIT_LEADER).get(f"/news/{item_id}").status_code == 200  # the author
    assert notices(db_session, UNIT_LEADER, "news.unpublished") >= 1


def test_wrong_state_and_wrong_person_are_refused(app, login_as, db_session):
    item_id = write_news(login_as(OFFICER), db_session, "Tin chưa gửi")
    client = login_as(OFFICER)
    for action in ("forward", "publish", "unpublish", "submit_up"):
        act(client, item_id, action, note="x")
        assert state_of(db_session, item_id) == "draft", action
    assert "không thể thực hiện" in flashed(client, item_id)
    assert client.post(f"/news/{item_id}/do/nonsense",
                       data=form_of(client.get(f"/news/{item_id}").get_data(as_text=True))
                       ).status_code == 404
    act(client, item_id, "submit")
    # A leader of another unit cannot act on it or edit it.
    other = login_as(OTHER_UNIT_LEADER)
    page = other.get("/users/userinfo/").get_data(as_text=True)  # a token of this session
    assert other.post(f"/news/{item_id}/do/forward",
                      data={"csrf_token": csrf_token(page)}).status_code == 404
    assert other.get(f"/news/{item_id}/edit").status_code == 404


def test_stale_form_and_bad_input_save_nothing(app, login_as, db_session):
    client = login_as(OFFICER)
    count = db_session.scalar(select(func.count(NewsItem.id)))
    page = client.get("/news/new").get_data(as_text=True)
    # Missing title, empty body, no category, a past time, a fake image: every message.
    response = client.post("/news/new", data=form_of(
        page, title=" ", body="<script>x</script>", publish_at="01/01/2020 08:00",
        cover=(io.BytesIO(b"\x89PNG\r\n\x1a\nnot really"), "giả.png")),
        content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in ("Nhập tiêu đề tin.", "Nhập nội dung tin.", "Chọn chuyên mục tin.",
                    "Thời gian đăng phải sau thời điểm hiện tại",
                    "Tệp ảnh bị hỏng hoặc không đọc được."):
        assert message in html, message
    response = client.post("/news/new", data=form_of(page, title="Ngày sai",
                                                      body="<p>x</p>", publish_at="31/02/2026"),
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "dd/mm/yyyy HH:mm" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.scalar(select(func.count(NewsItem.id))) == count

    item_id = write_news(client, db_session, "Tin để thử bản cũ")
    page = client.get(f"/news/{item_id}/edit").get_data(as_text=True)
    assert edit(client, item_id, title="Bản mới").status_code == 302
    stale = client.post(f"/news/{item_id}/edit", data=form_of(
        page, title="Bản cũ", body="<p>cũ</p>", category_id=str(category_id(db_session)),
        version="1"), content_type="multipart/form-data")
    assert stale.status_code == 422
    assert "vừa được người khác cập nhật" in stale.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(NewsItem, item_id).title == "Bản mới"
    # An action from a page shown before the change is refused too.
    response = client.post(f"/news/{item_id}/do/submit",
                           data={"csrf_token": csrf_token(page), "version": "1"})
    assert response.status_code == 302 and state_of(db_session, item_id) == "draft"


def test_scheduled_item_waits_for_its_time(app, login_as, db_session):
    from app.news.services import portal_news

    client = login_as(UNIT_LEADER)
    when = (local_now() + timedelta(days=2)).strftime("%d/%m/%Y %H:%M")
    item_id = write_news(client, db_session, "Tin hẹn giờ đăng", publish_at=when)
    act(client, item_id, "submit_up")
    act(login_as(AGENCY_LEADER), item_id, "publish")
    db_session.expire_all()
    item = db_session.get(NewsItem, item_id)
    assert item.state == "published" and item.published_at > utcnow()
    assert "chờ đến giờ đăng" in login_as(AGENCY_LEADER).get(
        f"/news/{item_id}").get_data(as_text=True)
    clerk = db_session.scalar(select(EofficeUser).where(EofficeUser.username == CLERK))
    assert item_id not in [n.id for n in portal_news(db_session, clerk, limit=100)]
    assert login_as(CLERK).get(f"/news/{item_id}").status_code == 404
    # Its time comes: no job needed, the queries compare with now.
    item.published_at = utcnow() - timedelta(minutes=1)
    db_session.commit()
    assert item_id in [n.id for n in portal_news(db_session, clerk, limit=100)]
    assert login_as(CLERK).get(f"/news/{item_id}").status_code == 200


def test_backfilled_item_keeps_its_real_publication_time(app, login_as, db_session):
    """Art. 5.4: an announcement made during an outage is entered afterwards with its real
    time and a reason; both times are shown."""
    client = login_as(UNIT_LEADER)
    real = (local_now() - timedelta(days=2)).replace(second=0, microsecond=0)
    page = client.get("/news/new").get_data(as_text=True)
    response = client.post("/news/new", data=form_of(
        page, title="Thông báo nghỉ do mất điện", summary="", body="<p>Nội dung.</p>",
        category_id=str(category_id(db_session)), publish_at=real.strftime("%d/%m/%Y %H:%M")),
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "ghi lý do nhập bù" in response.get_data(as_text=True)
    item_id = write_news(client, db_session, "Thông báo nghỉ do mất điện",
                         publish_at=real.strftime("%d/%m/%Y %H:%M"),
                         backfill_reason="Mất điện hai ngày, nhập lại")
    act(client, item_id, "submit_up")
    act(login_as(AGENCY_LEADER), item_id, "publish")
    db_session.expire_all()
    item = db_session.get(NewsItem, item_id)
    assert item.state == "published"
    assert item.published_at == local_to_utc(real) and item.created_at > item.published_at
    html = login_as(CLERK).get(f"/news/{item_id}").get_data(as_text=True)
    assert "Nhập bù" in html and "Mất điện hai ngày, nhập lại" in html
    assert real.strftime("%d/%m/%Y %H:%M") in html


def test_portal_news_featured_first_then_newest(app, db_session):
    from app.news.services import portal_news

    clerk = db_session.scalar(select(EofficeUser).where(EofficeUser.username == CLERK))
    items = portal_news(db_session, clerk, limit=8)
    assert len(items) == 8 and all(i.state == "published" for i in items)
    keys = [(not i.featured, -i.published_at.timestamp()) for i in items]
    assert keys == sorted(keys) and items[0].featured


def test_portal_partial_renders(app, db_session):
    from flask import render_template

    from app.news.services import portal_news

    clerk = db_session.scalar(select(EofficeUser).where(EofficeUser.username == CLERK))
    with app.test_request_context():
        html = render_template("news/_portal.html", news_items=portal_news(db_session, clerk))
    assert re.search(r'href="/news/\d+"', html) and re.search(r"\d\d/\d\d/\d{4}", html)
    assert 'src="/news/image/' in html


# ---------------------------------------------------------------- images

def test_image_upload_is_decoded_and_served_by_us(app, login_as, db_session):
    client = login_as(OFFICER)
    token = csrf_token(client.get("/news/new").get_data(as_text=True))

    def upload(data, name="ảnh.png"):
        return client.post("/news/image/upload", data={"file": (io.BytesIO(data), name)},
                           headers={"X-CSRFToken": token}, content_type="multipart/form-data")

    good = png()
    for bad, message in ((b"<svg onload=alert(1)>", "Định dạng tệp không được chấp nhận"),
                         (b"GIF89a" + b"\0" * 20, "Định dạng tệp không được chấp nhận"),
                         (good[: len(good) // 2], "hỏng"),
                         (b"\xff\xd8\xff\xe0" + b"\0" * 64, "hỏng"),
                         (b"%PDF-1.4 fake", "Định dạng tệp không được chấp nhận")):
        response = upload(bad)
        assert response.status_code == 422, bad[:10]
        assert message in response.get_json()["message"]
    tiff = io.BytesIO()
    Image.new("RGB", (5, 5)).save(tiff, "TIFF")
    assert "JPEG hoặc PNG" in upload(tiff.getvalue(), "a.tif").get_json()["message"]
    big = app.config.get("MAX_UPLOAD_BYTES")
    from app.news import services

    response = upload(b"\x89PNG\r\n\x1a\n" + b"\0" * (services.IMAGE_MAX_BYTES + 1))
    assert response.status_code == 422 and "quá lớn" in response.get_json()["message"], big

    response = upload(good)
    assert response.status_code == 201
    url = response.get_json()["url"]
    served = client.get(url)
    assert served.status_code == 200 and served.data == good
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    # Not used by any item yet: only its uploader sees it.
    assert login_as(CLERK).get(url).status_code == 404
    # Used in a body, it follows the item's visibility.
    client = login_as(UNIT_LEADER)
    image_id = int(url.rsplit("/", 1)[1])
    db_session.expire_all()
    item_id = write_news(login_as(OFFICER), db_session, "Tin có ảnh trong bài",
                         body=f'<p>Ảnh:</p><p><img src="{url}"></p>')
    assert image_id in [i.id for i in db_session.get(NewsItem, item_id).images]
    assert login_as(CLERK).get(url).status_code == 404
    act(login_as(OFFICER), item_id, "submit")
    assert login_as(UNIT_LEADER).get(url).status_code == 200
    assert login_as(OTHER_UNIT_LEADER).get(url).status_code == 404
    assert db_session.get(NewsImage, image_id).file.content_type == "image/png"


# ---------------------------------------------------------------- REST API

def test_api_follows_the_same_rules(app, client, api_as, db_session):
    officer, leader, chief = api_as(OFFICER), api_as(UNIT_LEADER), api_as(AGENCY_LEADER)
    clerk = api_as(CLERK)
    image = client.post("/api/v1/news/images", headers=officer,
                        data={"file": (io.BytesIO(png()), "bìa.png")},
                        content_type="multipart/form-data")
    assert image.status_code == 201
    response = client.post("/api/v1/news/", headers=officer, json={
        "title": "Tin gửi qua API", "summary": "Tóm tắt",
        "body": '<p onclick="x()">Nội dung <script>alert(1)</script></p>',
        "category_id": category_id(db_session), "cover_image_id": image.get_json()["id"]})
    assert response.status_code == 201, response.get_json()
    item = response.get_json()["result"]
    assert item["body"] == "<p>Nội dung </p>" and item["cover_url"]
    pk = item["id"]
    bad = client.post("/api/v1/news/", headers=officer, json={"title": "", "body": 5})
    assert bad.status_code == 422
    bad = client.post("/api/v1/news/", headers=officer, json={"title": "x", "body": "<p>x</p>"})
    assert "category_id" in bad.get_json()["message"]

    # Unpublished news never leak: not in others' lists, 404 on get, image, actions.
    for headers in (clerk, leader, chief):
        assert client.get(f"/api/v1/news/{pk}", headers=headers).status_code == 404
        listed = client.get("/api/v1/news/?page_size=100", headers=headers).get_json()
        assert pk not in [n["id"] for n in listed["result"]]
    assert client.get(f"/api/v1/news/images/{image.get_json()['id']}",
                      headers=clerk).status_code == 404
    assert client.post(f"/api/v1/news/{pk}/actions/publish", headers=chief).status_code == 404

    put = client.put(f"/api/v1/news/{pk}", headers=officer, json={
        "title": "Tin gửi qua API (sửa)", "body": "<p>Nội dung mới</p>",
        "category_id": category_id(db_session), "version": 1})
    assert put.status_code == 200 and put.get_json()["result"]["version"] == 2
    stale = client.put(f"/api/v1/news/{pk}", headers=officer, json={
        "title": "cũ", "body": "<p>cũ</p>", "category_id": category_id(db_session),
        "version": 1})
    assert stale.status_code == 422
    assert client.post(f"/api/v1/news/{pk}/actions/publish", headers=officer).status_code == 422
    assert client.post(f"/api/v1/news/{pk}/actions/submit", headers=officer).status_code == 200
    assert client.post(f"/api/v1/news/{pk}/actions/return", headers=leader,
                       json={"note": ""}).status_code == 422
    assert client.post(f"/api/v1/news/{pk}/actions/forward", headers=leader).status_code == 200
    published = client.post(f"/api/v1/news/{pk}/actions/publish", headers=chief)
    assert published.status_code == 200
    assert published.get_json()["result"]["state"] == "published"
    portal = client.get("/api/v1/news/?box=portal&page_size=100", headers=clerk).get_json()
    assert pk in [n["id"] for n in portal["result"]]
    assert client.get(f"/api/v1/news/{pk}", headers=clerk).get_json()["result"]["actions"] == []
    assert client.get("/api/v1/news/?box=nonsense", headers=clerk).status_code == 400
    assert client.get("/api/v1/news/?state=nonsense", headers=clerk).status_code == 400
    db_session.expire_all()
    assert db_session.scalar(select(func.count(NewsRevision.id)).where(
        NewsRevision.news_id == pk)) == 2
    assert db_session.scalar(select(func.count(NewsEvent.id)).where(
        NewsEvent.news_id == pk)) == 5  # create, edit, submit, forward, publish


def test_administrator_reads_but_does_not_write(app, login_as, client, api_as):
    client = login_as(ADMIN)
    assert client.get("/news/").status_code == 200
    assert client.get("/news/new").status_code == 403
    response = client.post("/api/v1/news/", headers=api_as(ADMIN), json={"title": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("box", ["portal", "todo", "mine", "all"])
def test_list_tabs(app, login_as, box):
    client = login_as(UNIT_LEADER)
    page = client.get(f"/news/?box={box}&page=999")
    assert page.status_code == 200
    assert client.get("/news/?box=nonsense").status_code == 404


def test_demo_has_every_state(app, db_session):
    states = dict(db_session.execute(select(NewsItem.state, func.count(NewsItem.id))
                                     .group_by(NewsItem.state)).all())
    assert set(states) >= {"draft", "submitted", "pending", "published", "returned",
                           "unpublished"}
    assert db_session.scalar(select(func.count(NewsItem.id)).where(
        NewsItem.published_at > utcnow())) >= 1
