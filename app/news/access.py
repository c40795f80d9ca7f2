"""Who sees which news item: one rule, as a SQL filter, used by every path that reads one (list,
page, edit, actions, images, REST, the portal).

- A published item is seen by everyone logged in from its publication time on (a scheduled
  item stays hidden until then).
- A draft is seen only by its author.
- Once submitted, an item is seen by its author, the leaders of the author's unit (Lãnh đạo
  đơn vị, or Lãnh đạo văn phòng for the office) and the agency leaders.
Nobody else. Deny by default."""
from sqlalchemy import and_, exists, false, or_, select

from app.core.db import visible_row
from app.core.timefmt import utcnow
from app.news.models import DRAFT, PUBLISHED, NewsImage, NewsItem, news_item_image
from app.security.access import has_role, role_names
from app.security import roles as r

# Everybody on the staff reads the news, the network administrator too; all but the
# administrator write it (the clerk acts as an officer on the portal, Art. 9.2).
READERS = set(r.ROLES)
WRITERS = READERS - {r.ADMIN}
UNIT_LEADER_ROLES = (r.UNIT_LEADER, r.OFFICE_LEADER)  # the office leader leads the office


def reads_news(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False)
                and role_names(user) & READERS)


def writes_news(user) -> bool:
    return reads_news(user) and bool(role_names(user) & WRITERS)


def is_agency_leader(user) -> bool:
    return has_role(user, r.AGENCY_LEADER)


def leads_unit(user, department_id) -> bool:
    return (user is not None and department_id is not None
            and user.department_id == department_id and has_role(user, *UNIT_LEADER_ROLES))


def on_portal(now=None):
    """Published and its time has come: what everybody sees."""
    return and_(NewsItem.state == PUBLISHED, NewsItem.published_at <= (now or utcnow()))


def visible_news(user, now=None):
    """A SQL condition on NewsItem: the items `user` may see."""
    if not reads_news(user):
        return false()
    seen = [on_portal(now), NewsItem.author_id == user.id]
    if is_agency_leader(user):
        seen.append(NewsItem.state != DRAFT)
    elif user.department_id and has_role(user, *UNIT_LEADER_ROLES):
        seen.append(and_(NewsItem.department_id == user.department_id,
                         NewsItem.state != DRAFT))
    return or_(*seen)


def get_visible(session, user, news_id):
    """The item if `user` may see it, else None (callers answer 404)."""
    return visible_row(session, NewsItem, visible_news(user), news_id)


def visible_image(user):
    """A SQL condition on NewsImage: the uploader's own, or one used by a visible item."""
    if not reads_news(user):
        return false()
    used_by_visible = exists().where(
        news_item_image.c.image_id == NewsImage.id,
        news_item_image.c.news_id.in_(select(NewsItem.id).where(visible_news(user))))
    return or_(NewsImage.uploaded_by_id == user.id, used_by_visible)


def get_visible_image(session, user, image_id):
    return visible_row(session, NewsImage, visible_image(user), image_id)
