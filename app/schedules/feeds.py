"""Calendar feeds (.ics, RFC 5545) for Thunderbird, Outlook and phones: a person's or a unit's
published schedule at a secret address that can be revoked (a new one replaces it)."""
import secrets
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone, TimezoneStandard
from sqlalchemy import select

from app.core.timefmt import VIETNAM, today_local, utcnow
from app.org.models import EofficeUser
from app.schedules import access, services
from app.schedules.models import CANCELLED, LEVELS, SESSIONS, ScheduleFeed

PAST_WEEKS, FUTURE_WEEKS = 8, 26  # what a feed carries around today


def active_feed(session, user_id=None, department_id=None):
    return session.scalar(select(ScheduleFeed).where(
        ScheduleFeed.user_id.is_(None) if user_id is None else ScheduleFeed.user_id == user_id,
        ScheduleFeed.department_id.is_(None) if department_id is None
        else ScheduleFeed.department_id == department_id,
        ScheduleFeed.revoked_at.is_(None)))


def new_feed(session, creator, user_id=None, department_id=None) -> ScheduleFeed:
    """A new secret address; the previous one (if any) stops working."""
    previous = active_feed(session, user_id, department_id)
    if previous is not None:
        previous.revoked_at = utcnow()
    feed = ScheduleFeed(token=secrets.token_urlsafe(32), user_id=user_id,
                        department_id=department_id, created_by_id=creator.id)
    session.add(feed)
    session.commit()
    return feed


def feed_by_token(session, token):
    if not token or len(token) > 64:
        return None
    return session.scalar(select(ScheduleFeed).where(ScheduleFeed.token == token,
                                                     ScheduleFeed.revoked_at.is_(None)))


def calendar_for(session, feed) -> bytes:
    today = today_local()
    since, until = today - timedelta(weeks=PAST_WEEKS), today + timedelta(weeks=FUTURE_WEEKS)
    person = session.get(EofficeUser, feed.user_id) if feed.user_id else None
    if person is not None and not person.active:
        items = []
    elif person is not None:
        items = services.feed_items(session, person, person.department_id, since, until)
    else:
        items = services.feed_items(session, None, feed.department_id, since, until)
    name = person.full_name if person else (feed.department.name if feed.department else "")

    calendar = Calendar()
    calendar.add("prodid", "-//Van phong dien tu//Lich cong tac//VI")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", _("Lịch công tác – %(name)s", name=name))
    calendar.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    calendar.add_component(_vietnam_timezone())
    for item in items:
        calendar.add_component(_event(item, person))
    return calendar.to_ical()


def _vietnam_timezone():
    """Asia/Ho_Chi_Minh has been UTC+7 without daylight saving since 1975."""
    zone = Timezone()
    zone.add("tzid", "Asia/Ho_Chi_Minh")
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1975, 6, 13))
    standard.add("tzoffsetfrom", timedelta(hours=7))
    standard.add("tzoffsetto", timedelta(hours=7))
    standard.add("tzname", "ICT")
    zone.add_component(standard)
    return zone


def _event(item, person):
    start, end = services.interval(item)
    event = Event()
    event.add("uid", f"schedule-item-{item.id}@eoffice")
    event.add("dtstamp", (item.changed_at or item.created_at).replace(tzinfo=UTC))
    event.add("dtstart", start.replace(tzinfo=VIETNAM))
    event.add("dtend", end.replace(tzinfo=VIETNAM))
    event.add("sequence", item.week_record.version)
    week = item.week_record
    if item.private and not access.can_see_private(person, week.owner):
        event.add("summary", _("Bận"))
        event.add("class", "PRIVATE")
        return event
    event.add("summary", item.content[:200])
    lines = [f"{LEVELS[week.level]} – {SESSIONS[item.session]}"]
    if item.chair or item.chair_text:
        lines.append(_("Chủ trì: %(who)s", who=item.chair.full_name if item.chair
                       else item.chair_text))
    participants = [p.full_name for p in item.people] + [u.name for u in item.units]
    if item.participants_text:
        participants.append(item.participants_text)
    if participants:
        lines.append(_("Thành phần: %(who)s", who="; ".join(participants)))
    if item.preparing_unit:
        lines.append(_("Đơn vị chuẩn bị: %(unit)s", unit=item.preparing_unit.name))
    if item.notes:
        lines.append(_("Ghi chú: %(notes)s", notes=item.notes))
    event.add("description", "\n".join(lines))
    if item.place_text:
        event.add("location", item.place_text)
    if item.change == CANCELLED:
        event.add("status", "CANCELLED")
    else:
        event.add("status", "CONFIRMED")
    return event
