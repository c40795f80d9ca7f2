"""Internal news: the rules, as plain functions that take the acting user and the session.
The web pages, the REST API, the portal and the demo data all call these; each saves
everything it was asked to or nothing (FormErrors / DomainError with a Vietnamese message)."""
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, func, or_, select, update
from sqlalchemy.orm import joinedload

from app.catalogs.models import NewsCategory
from app.core import storage
from app.core.errors import DomainError, FormErrors
from app.core.files import check_upload
from app.core.text import nfc, vietnamese_sort_key
from app.core.timefmt import format_datetime, local_to_utc, utcnow
from app.news import workflow
from app.news.access import (
    UNIT_LEADER_ROLES, get_visible_image, is_agency_leader, leads_unit, on_portal,
    visible_image, visible_news, writes_news,
)
from app.news.models import (
    DRAFT, PENDING, RETURNED, SUBMITTED, SUMMARY_MAX, TITLE_MAX, NewsEvent, NewsImage,
    NewsItem, NewsRevision,
)
from app.news.sanitize import clean_html, image_ids, plain_text
from app.notifications.services import notify
from app.org.models import EofficeUser
from app.security.access import has_role

IMAGE_TYPES = {"image/jpeg", "image/png"}  # what every browser shows (TIFF is refused)
IMAGE_MAX_BYTES = 10 * 1024 * 1024
STALE = _l("Tin vừa được người khác cập nhật; vui lòng tải lại trang rồi thao tác lại.")
NOT_NOW = _l("Bạn không thể thực hiện thao tác này với tin ở trạng thái hiện tại.")

__all__ = ["FormErrors", "DomainError"]


# ---------------------------------------------------------------- reading

def visible_query(user):
    return select(NewsItem).where(visible_news(user))


def portal_news(session, user, limit=8, category_id=None):
    """Published items whose time has come, featured first, then the newest."""
    query = visible_query(user).where(on_portal())
    if category_id:
        query = query.where(NewsItem.category_id == category_id)
    return list(session.scalars(query.order_by(
        NewsItem.featured.desc(), NewsItem.published_at.desc(), NewsItem.id.desc())
        .limit(limit).options(joinedload(NewsItem.category), joinedload(NewsItem.cover_image))))


def _waiting_for(user):
    """The items on the user's desk (the transition table's reviewers, as a SQL condition),
    and the author's own returned items."""
    mine = [and_(NewsItem.author_id == user.id, NewsItem.state == RETURNED)]
    if is_agency_leader(user):
        mine.append(and_(NewsItem.state == PENDING, NewsItem.author_id != user.id))
    if user.department_id and has_role(user, *UNIT_LEADER_ROLES):
        mine.append(and_(NewsItem.state == SUBMITTED, NewsItem.author_id != user.id,
                         NewsItem.department_id == user.department_id))
    return or_(*mine)


BOXES = [
    ("portal", _l("Tin đã đăng")),
    ("todo", _l("Chờ tôi xử lý")),
    ("mine", _l("Tin của tôi")),
    ("all", _l("Tất cả tin")),
]


def box_query(user, box):
    """The items of one tab of the news list, in its order."""
    base = visible_query(user)
    if box == "portal":
        return base.where(on_portal()).order_by(NewsItem.featured.desc(),
                                                NewsItem.published_at.desc(), NewsItem.id.desc())
    if box == "todo":
        base = base.where(_waiting_for(user) if writes_news(user) else false())
    elif box == "mine":
        base = base.where(NewsItem.author_id == user.id)
    elif box != "all":
        raise DomainError(_l("Không có danh sách tin này."))
    return base.order_by(NewsItem.updated_at.desc(), NewsItem.id.desc())


def box_counts(session, user):
    return list_counts(session, user)[0]


def list_counts(session, user, box=None, filtered=None):
    """The tabs' [(key, label, count)] and the number of items of the list of tab `box` —
    `filtered`, the tab's query narrowed (to a category), if given, else the tab's own count —
    in one statement: a count of each tab's query, as the tab lists it, each a subquery."""
    queries = [box_query(user, key) for key, _label in BOXES]
    if filtered is not None:
        queries.append(filtered)
    counts = session.execute(select(*[select(func.count()).select_from(
        query.order_by(None).subquery()).scalar_subquery() for query in queries])).one()
    tabs = [(key, label, count)
            for (key, label), count in zip(BOXES, counts[:len(BOXES)], strict=True)]
    if filtered is not None:
        return tabs, counts[-1]
    return tabs, next((count for key, _label, count in tabs if key == box), None)


def shown_in_list(box):
    """Loader options for a tab's page of items: what its rows show (the portal's cover image
    and category; the other tabs' category, author and unit), loaded with the items rather
    than one query a row."""
    shown = (NewsItem.category, NewsItem.cover_image) if box == "portal" else (
        NewsItem.category, NewsItem.author, NewsItem.department)
    return [joinedload(relation) for relation in shown]


def categories(session, include_id=None):
    """Active categories (and the item's own, even if no longer active), in their order."""
    rows = session.scalars(select(NewsCategory).where(or_(
        NewsCategory.active.is_(True), NewsCategory.id == (include_id or 0))))
    return sorted(rows, key=lambda c: (c.sort_order, vietnamese_sort_key(c.name)))


# ---------------------------------------------------------------- validation

def _text(value):
    return nfc(value.strip()) if isinstance(value, str) else ""


def _id_or_none(value):
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # not an id: reported as "choose one"


def validate(session, user, data: dict, item=None) -> dict:
    """Every rule of the item's fields; raises FormErrors listing every problem.
    data: title, summary, body (HTML), category_id, featured, publish_at (naive Vietnam time),
    cover_image_id (an image the user may see), remove_cover."""
    errors = {}
    title = _text(data.get("title"))
    summary = _text(data.get("summary"))
    body = clean_html(nfc(data.get("body")) if isinstance(data.get("body"), str) else "")
    if not title:
        errors["title"] = [_l("Nhập tiêu đề tin.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_l("Tiêu đề dài tối đa %(max)s ký tự.", max=TITLE_MAX)]
    if len(summary) > SUMMARY_MAX:
        errors["summary"] = [_l("Tóm tắt dài tối đa %(max)s ký tự.", max=SUMMARY_MAX)]
    if not plain_text(body) and not image_ids(body):
        errors["body"] = [_l("Nhập nội dung tin.")]
    category_id = _id_or_none(data.get("category_id"))
    category = session.get(NewsCategory, category_id) if category_id else None
    if category is None or not (category.active or (item and item.category_id == category.id)):
        errors["category_id"] = [_l("Chọn chuyên mục tin.")]
    backfill_reason = _text(data.get("backfill_reason"))[:500] or None
    publish_at = data.get("publish_at")
    if publish_at in (None, ""):
        publish_at = None
    elif not isinstance(publish_at, datetime):
        errors["publish_at"] = [_l("Ngày giờ phải có dạng dd/mm/yyyy HH:mm, ví dụ "
                                   "05/03/2026 08:30.")]
    else:
        publish_at = local_to_utc(publish_at)
        unchanged = item is not None and item.publish_at == publish_at
        if not unchanged and publish_at < utcnow() and not backfill_reason:
            errors["publish_at"] = [_l("Thời gian đăng phải sau thời điểm hiện tại; nếu nhập "
                                       "bù tin đã đăng khi mất điện, mất mạng, ghi lý do nhập "
                                       "bù.")]
    cover_id = _id_or_none(data.get("cover_image_id"))
    if cover_id is not None and get_visible_image(session, user, cover_id) is None:
        errors["cover"] = [_l("Không tìm thấy ảnh đại diện này.")]
    if errors:
        raise FormErrors(errors)
    return {"title": title, "summary": summary, "body": body, "category_id": category.id,
            "featured": bool(data.get("featured")), "publish_at": publish_at,
            "backfill_reason": backfill_reason if publish_at else None,
            "cover_image_id": cover_id, "remove_cover": bool(data.get("remove_cover"))}


def check_image(data: bytes, filename: str):
    """A news image, decoded by Pillow (app.core.files): JPEG or PNG, not too large."""
    limit = min(IMAGE_MAX_BYTES, current_app.config["MAX_UPLOAD_BYTES"])
    info = check_upload(data, filename, max_bytes=limit, allowed=("image",))
    if info.content_type not in IMAGE_TYPES:
        raise DomainError(_l("Chỉ nhận ảnh JPEG hoặc PNG."))
    return info


def _checked(session, user, data, cover_upload, item=None):
    """(clean data, (bytes, info) of the cover or None); FormErrors with every problem, the
    fields' and the cover's together."""
    errors = {}
    try:
        data = validate(session, user, data, item)
    except FormErrors as error:
        errors.update(error.errors)
    cover = None
    if cover_upload:
        try:
            cover = cover_upload[0], check_image(*cover_upload)
        except DomainError as error:
            errors["cover"] = [str(error)]
    if errors:
        raise FormErrors(errors)
    return data, cover


# ---------------------------------------------------------------- writing

def _event(item, user, action, from_state, note=None):
    item.events.append(NewsEvent(actor_id=user.id if user else None, action=action,
                                 from_state=from_state, to_state=item.state,
                                 note=str(note) if note else None, at=utcnow()))


def _revise(item, user):
    """A revision row when the title, summary or body changed (or for the first save)."""
    last = item.revisions[0] if item.revisions else None
    if last and (last.title, last.summary, last.body) == (item.title, item.summary, item.body):
        return False
    item.revisions.insert(0, NewsRevision(editor_id=user.id if user else None, at=utcnow(),
                                          title=item.title, summary=item.summary,
                                          body=item.body))
    return True


def _new_image(session, store, user, data, info):
    image = NewsImage(file=store(user, data, info), uploaded_by_id=user.id)
    session.add(image)
    return image


def _link_images(session, user, item):
    """Link the cover and the body's images to the item (only images the user may see)."""
    wanted = image_ids(item.body) | ({item.cover_image_id} if item.cover_image_id else set())
    wanted -= {image.id for image in item.images}
    if wanted:
        item.images.extend(session.scalars(select(NewsImage).where(
            NewsImage.id.in_(wanted), visible_image(user))))


def _fill(session, store, user, item, data, cover):
    item.title, item.summary, item.body = data["title"], data["summary"], data["body"]
    item.category_id, item.featured = data["category_id"], data["featured"]
    item.publish_at = data["publish_at"]
    item.backfill_reason = data["backfill_reason"]
    if cover is not None:
        item.cover_image = _new_image(session, store, user, *cover)
    elif data["cover_image_id"]:
        item.cover_image_id = data["cover_image_id"]
    elif data["remove_cover"]:
        item.cover_image = None
    session.flush()
    _link_images(session, user, item)
    return _revise(item, user)


def create_news(session, user, data: dict, cover_upload=None) -> NewsItem:
    """Write a news item (a draft): validate everything, then save it, its cover and its first
    revision in one transaction."""
    if not writes_news(user):
        raise DomainError(_l("Bạn không có quyền viết tin."))
    if not user.department_id:
        raise DomainError(_l("Tài khoản của bạn chưa thuộc đơn vị nào; đề nghị quản trị mạng "
                             "cập nhật đơn vị trước khi viết tin."))
    data, cover = _checked(session, user, data, cover_upload)
    with storage.saving_files(session) as store:
        item = NewsItem(author_id=user.id, department_id=user.department_id, title="",
                        state=DRAFT, version=1)
        session.add(item)
        _fill(session, store, user, item, data, cover)
        _event(item, user, "create", None)
    return item


def _bump(session, item, version, state=None, **values):
    """Move the item's version on (and its state), guarded against a concurrent change: the
    row must still have the version (and state) the user saw."""
    moved = session.execute(
        update(NewsItem).where(NewsItem.id == item.id, NewsItem.version == version,
                               NewsItem.state == item.state)
        .values(version=version + 1, state=state or item.state, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        raise DomainError(STALE)
    item.version = version + 1
    if state:
        item.state = state
    for key, value in values.items():
        setattr(item, key, value)


def _version(value, item):
    try:
        return int(value)
    except (TypeError, ValueError):
        return item.version


def update_news(session, user, item, data: dict, version=None, cover_upload=None):
    """Save an edit (author on a draft or returned item; the unit leader or the agency leader
    at their step): a revision row when the text changed. `version` is what the form showed."""
    if not workflow.allowed(user, item, "edit"):
        raise DomainError(NOT_NOW)
    data, cover = _checked(session, user, data, cover_upload, item)
    with storage.saving_files(session) as store:
        _bump(session, item, _version(version, item))
        if _fill(session, store, user, item, data, cover):
            _event(item, user, "edit", item.state)
    return item


def upload_image(session, user, data: bytes, filename: str) -> NewsImage:
    """An image for a body being written: stored now, seen by its uploader until an item that
    uses it is saved."""
    if not writes_news(user):
        raise DomainError(_l("Bạn không có quyền viết tin."))
    info = check_image(data, filename)
    with storage.saving_files(session) as store:
        image = _new_image(session, store, user, data, info)
    return image


# ---------------------------------------------------------------- the workflow

def unit_leaders(session, item):
    people = session.scalars(select(EofficeUser).where(
        EofficeUser.active.is_(True), EofficeUser.department_id == item.department_id))
    return [p for p in people if leads_unit(p, item.department_id)]


def agency_leaders(session):
    return [p for p in session.scalars(select(EofficeUser).where(EofficeUser.active.is_(True)))
            if is_agency_leader(p)]


def _announce(session, user, item, action, note):
    """Tell the person who must act next, or the author what became of their item."""
    title = item.title
    if action == "submit":
        whom, kind = unit_leaders(session, item), "news.submitted"
        message = _l("Tin «%(title)s» chờ biên tập.", title=title)
    elif action in ("forward", "submit_up"):
        whom, kind = agency_leaders(session), "news.pending"
        message = _l("Tin «%(title)s» chờ duyệt xuất bản.", title=title)
    elif action == "return":
        whom, kind = [item.author_id], "news.returned"
        message = _l("Tin «%(title)s» bị trả lại: %(note)s", title=title, note=note)
    elif action == "publish":
        whom, kind = [item.author_id], "news.published"
        message = _l("Tin «%(title)s» đã được xuất bản (%(at)s).", title=title,
                     at=format_datetime(item.published_at))
    else:
        whom, kind = [item.author_id], "news.unpublished"
        message = _l("Tin «%(title)s» đã bị gỡ: %(note)s", title=title, note=note)
    notify(session, whom, message, url=f"/news/{item.id}", kind=kind, exclude=user)


def act(session, user, item, action, note=None, version=None):
    """One entry point for the web and the API: submit, submit_up, forward, publish, return,
    unpublish — as the transition table allows. `version`: what the user's page showed."""
    transition = workflow.transition_for(item, action) if action != "edit" else None
    if transition is None or not transition.may(user, item):
        raise DomainError(NOT_NOW)
    note = _text(note)
    if transition.note_required and not note:
        raise FormErrors({"note": [_l("Nhập lý do gỡ bài.") if action == "unpublish"
                                   else _l("Nhập ý kiến trả lại.")]})
    values = {}
    if action == "publish":
        now = utcnow()
        # A backfilled item keeps its real (past) time; otherwise not before now.
        published_at = item.publish_at if item.backfill_reason and item.publish_at else max(
            item.publish_at or now, now)
        values = {"published_at": published_at, "publisher_id": user.id}
    elif action == "return":
        values = {"return_comment": note}
    elif action in ("submit", "submit_up"):
        values = {"return_comment": None}
    from_state = item.state
    _bump(session, item, _version(version, item), transition.new_state, **values)
    _event(item, user, action, from_state, note or None)
    _announce(session, user, item, action, note)
    session.commit()
