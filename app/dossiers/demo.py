"""Demo work dossiers for `make run`: the current year's dossier plan (danh mục hồ sơ) and
about fifteen dossiers of the demo people, open, closed and handed over, each filing a few of
the incoming documents its owner can see (and outgoing documents when the outgoing module
provides them); two are overdue. Everything goes through app.dossiers.services, as the people
would do it. Deterministic and idempotent: nothing is added once the year's plan or any
dossier exists."""
import random
from datetime import datetime, time, timedelta

import click
from sqlalchemy import func, select

from app.catalogs.models import Field, RetentionPeriod
from app.core.errors import DomainError
from app.core.text import fold
from app.core.timefmt import local_to_utc, today_local
from app.documents.models import IncomingDocument
from app.dossiers import access, services
from app.dossiers.models import CLOSED, HANDED_OVER, Dossier, DossierPlanItem
from app.extensions import db
from app.org.models import Department, EofficeUser

SEED = 2026
OFFICE_CLERK, OFFICE_LEADER = "vanthu", "lanhdaovp"

# (code, heading, title ({y}: the year), retention name, creator unit code)
PLAN = [
    ("01.TCCB", "I. Tổ chức, cán bộ", "Hồ sơ tuyển dụng công chức năm {y}", "70 năm", "TCBC"),
    ("02.TCCB", "I. Tổ chức, cán bộ", "Hồ sơ nâng bậc lương thường xuyên, nâng bậc lương trước "
     "thời hạn đối với công chức, viên chức năm {y}", "20 năm", "TCBC"),
    ("03.TCCB", "I. Tổ chức, cán bộ", "Hồ sơ thẩm định đề án vị trí việc làm, cơ cấu ngạch công "
     "chức của các cơ quan, đơn vị năm {y}", "Vĩnh viễn", "TCBC"),
    ("04.TCCB", "I. Tổ chức, cán bộ", "Hồ sơ giao biên chế công chức, số lượng người làm việc "
     "năm {y}", "Vĩnh viễn", "TCBC"),
    ("01.CCHC", "II. Cải cách hành chính", "Hồ sơ xác định Chỉ số cải cách hành chính năm {y} "
     "của các sở, ban, ngành", "20 năm", "CCHC"),
    ("02.CCHC", "II. Cải cách hành chính", "Hồ sơ kiểm tra công tác cải cách hành chính năm {y}",
     "10 năm", "CCHC"),
    ("03.CCHC", "II. Cải cách hành chính", "Hồ sơ báo cáo kết quả thực hiện công tác cải cách "
     "hành chính năm {y}", "20 năm", "CCHC"),
    ("04.CCHC", "II. Cải cách hành chính", "Hồ sơ tuyên truyền cải cách hành chính năm {y}",
     "05 năm", "CCHC"),
    ("01.VTLT", "III. Văn thư, lưu trữ", "Hồ sơ kiểm tra công tác văn thư, lưu trữ năm {y}",
     "10 năm", "VTLT"),
    ("01.TĐKT", "IV. Thi đua, khen thưởng", "Hồ sơ xét tặng danh hiệu thi đua, hình thức khen "
     "thưởng năm {y}", "Vĩnh viễn", "TĐKT"),
    ("01.VP", "V. Hành chính, tổng hợp", "Hồ sơ chương trình, kế hoạch công tác năm {y} của Sở",
     "Vĩnh viễn", "VP"),
    ("02.VP", "V. Hành chính, tổng hợp", "Hồ sơ hội nghị tổng kết công tác năm {y}", "10 năm",
     "VP"),
]

# (owner, plan code or None, (code, title, retention) outside the plan, field code,
#  days since it started, state, search words for its documents)
# state: "open", "overdue", "closed", "handed_over"
DOSSIERS = [
    ("chuyenvien", "01.CCHC", None, "CCHC", 75, "overdue", ["chi so"]),
    ("chuyenvien", "02.CCHC", None, "CCHC", 110, "closed", ["kiem tra"]),
    ("chuyenvien", "03.CCHC", None, "CCHC", 90, "open", ["ket qua", "bao cao"]),
    ("chuyenvien", "04.CCHC", None, "CCHC", 60, "open", ["tuyen truyen", "dich vu cong"]),
    ("chuyenvien", None, ("05.CCHC", "Hồ sơ rà soát, đơn giản hóa thủ tục hành chính nội bộ năm "
                          "{y}", "10 năm"), "CCHC", 45, "open", ["thu tuc"]),
    ("cv.cchc", None, ("06.CCHC", "Hồ sơ theo dõi số hóa hồ sơ, kết quả giải quyết thủ tục hành "
                       "chính năm {y}", "10 năm"), "CCHC", 50, "open", ["so hoa", "mot cua"]),
    ("truongphong", None, ("07.CCHC", "Hồ sơ góp ý dự thảo Kế hoạch cải cách hành chính nhà "
                           "nước giai đoạn 2026 – 2030", "20 năm"), "CCHC", 100, "closed",
     ["gop y", "ke hoach"]),
    ("cv.tcbc1", "01.TCCB", None, "TCCB", 95, "open", ["tuyen dung"]),
    ("cv.tcbc1", "02.TCCB", None, "TCCB", 115, "closed", ["nang bac", "luong"]),
    ("cv.tcbc1", "03.TCCB", None, "TCCB", 70, "overdue", ["vi tri viec lam", "de an"]),
    ("cv.tcbc2", "04.TCCB", None, "TCCB", 85, "open", ["bien che"]),
    ("tp.tcbc", None, ("05.TCCB", "Hồ sơ báo cáo số lượng, chất lượng cán bộ, công chức, viên "
                       "chức năm {y}", "20 năm"), "TCCB", 118, "handed_over",
     ["so luong", "chat luong"]),
    ("cv.vtlt", "01.VTLT", None, "VTLT", 65, "open", ["van thu", "luu tru"]),
    ("tdkt", "01.TĐKT", None, "TDKT", 80, "open", ["thi dua", "khen thuong"]),
    ("pcvp", "01.VP", None, "TCNS", 105, "open", ["ke hoach", "chuong trinh"]),
]


def _start(today, days):
    """`days` ago, but not before 2 January (a dossier of this year)."""
    return max(today - timedelta(days=days), today.replace(month=1, day=2))


def _documents(session, owner, field_id, words, rng, count, since, until):
    """Up to `count` incoming documents the owner can see, arrived between `since` and
    `until`: on the topic first, then of the dossier's field."""
    visible = select(IncomingDocument.id).where(
        access.visible_incoming(owner),
        IncomingDocument.arrival_at >= local_to_utc(datetime.combine(since, time(0, 0))),
        IncomingDocument.arrival_at <= local_to_utc(datetime.combine(until, time(23, 59))))
    on_topic = []
    for word in words:
        on_topic += list(session.scalars(visible.where(
            IncomingDocument.search_text.contains(fold(word), autoescape=True))
            .order_by(IncomingDocument.arrival_at)))
    in_field = list(session.scalars(visible.where(IncomingDocument.field_id == field_id)
                                    .order_by(IncomingDocument.arrival_at))) if field_id else []
    chosen = []
    for pool in (on_topic, in_field):
        pool = [i for i in dict.fromkeys(pool) if i not in chosen]
        rng.shuffle(pool)
        chosen += pool[:count - len(chosen)]
        if len(chosen) >= count:
            break
    documents = [session.get(IncomingDocument, i) for i in chosen]
    return sorted(documents, key=lambda d: d.arrival_at)


def _documents_for(session, owner, field_id, words, rng, start, until):
    """2–6 documents of the dossier's time, looking further back when that time had few."""
    count = rng.randint(2, 6)
    for since, last in ((start - timedelta(days=30), until), (start - timedelta(days=90), until),
                        (start - timedelta(days=400), until),
                        (start - timedelta(days=400), today_local())):
        documents = _documents(session, owner, field_id, words, rng, count, since, last)
        if len(documents) >= 2:
            return documents
    return documents


def _outgoing(session, owner, field_id, words, rng, until):
    """0–2 outgoing documents of the dossier's field (on the topic first), issued by `until`,
    that the owner can see — when the outgoing module provides its rule."""
    rule_outgoing, _rule_draft = access.outgoing_rules()
    if rule_outgoing is None or not field_id:
        return []
    from app.outgoing.models import OutgoingDocument

    visible = select(OutgoingDocument).where(rule_outgoing(owner),
                                             OutgoingDocument.field_id == field_id,
                                             OutgoingDocument.issued_date <= until)
    on_topic = [d for word in words for d in session.scalars(visible.where(
        OutgoingDocument.search_text.contains(fold(word), autoescape=True)).order_by(
            OutgoingDocument.id))]
    pool = list(dict.fromkeys(on_topic)) or list(session.scalars(
        visible.order_by(OutgoingDocument.id)))
    rng.shuffle(pool)
    return pool[:rng.randint(0, 2)]


def _pages(document):
    return max(1, document.page_count or 1)


def _backdate(dossier, start, end, filed_dates, today):
    """The services stamp events with the time they run: put them on the dossier's own
    timeline (opened on its start date, documents filed as they came, closed on its end
    date, handed over a week later)."""
    def at(day, hour, minute=0):
        return local_to_utc(datetime.combine(min(day, today), time(hour, minute)))

    dates = iter(filed_dates)
    for number, event in enumerate(dossier.events):
        if event.action == "open":
            event.at = dossier.created_at = at(start, 8, 15)
        elif event.action == "link":
            event.at = at(min(max(start, next(dates, start)), end), 9, number % 60)
        elif event.action == "close":
            event.at = dossier.closed_at = at(end, 16, 30)
        elif event.action == "handover":
            event.at = dossier.handed_over_at = at(end + timedelta(days=7), 10)


def _demo_label(key):
    from app.dossiers.models import STATUSES

    return "quá hạn" if key == "overdue" else str(STATUSES.get(key, key)).lower()


def create_dossier_demo(app, *, seed: int = SEED) -> dict:
    """The year's plan and the demo dossiers; nothing if the plan or any dossier exists.
    Returns {status: count} of the dossiers created."""
    session = db.session
    today = today_local()
    year = today.year
    if session.scalar(select(func.count(DossierPlanItem.id)).where(
            DossierPlanItem.year == year)) or session.scalar(select(func.count(Dossier.id))):
        click.echo("Hồ sơ công việc mẫu: đã có dữ liệu, bỏ qua.")
        return {}
    users = {u.username: u for u in session.scalars(select(EofficeUser))}
    needed = {OFFICE_CLERK, OFFICE_LEADER} | {d[0] for d in DOSSIERS}
    if needed - users.keys():
        click.echo("Hồ sơ công việc mẫu: thiếu tài khoản mẫu "
                   + ", ".join(sorted(needed - users.keys())))
        return {}
    retention = {r.name: r for r in session.scalars(select(RetentionPeriod))}
    units = {d.code: d for d in session.scalars(select(Department))}
    fields = {f.code: f for f in session.scalars(select(Field))}
    rng = random.Random(seed)

    plan = {}
    for code, heading, title, keep, unit in PLAN:
        item = DossierPlanItem(year=year, code=code, heading=heading, title=title.format(y=year),
                               retention_id=retention[keep].id,
                               creator_department_id=units[unit].id if unit in units else None)
        services.prepare_plan_item(item)
        session.add(item)
        plan[code] = item
    session.commit()

    created = {}
    for owner_name, plan_code, outside, field_code, days, state, words in DOSSIERS:
        owner = users[owner_name]
        start = _start(today, days)
        data = {"owner_id": owner.id, "start_date": start,
                "field_id": fields[field_code].id if field_code in fields else None}
        if plan_code:
            data["plan_item_id"] = plan[plan_code].id
        else:
            code, title, keep = outside
            data.update(code=code, title=title.format(y=year), retention_id=retention[keep].id)
        if state == "overdue":
            data["deadline"] = max(start, today - timedelta(days=rng.randint(3, 12)))
        elif state == "open":
            data["deadline"] = today + timedelta(days=rng.randint(10, 90))
        else:
            data["deadline"] = start + timedelta(days=rng.randint(30, 60))
        closes = state in (CLOSED, HANDED_OVER)
        end = min(today, start + timedelta(days=rng.randint(20, 40))) if closes else today
        try:
            dossier = services.open_dossier(session, owner, data)
            filed = [("incoming", d, d.document_date) for d in _documents_for(
                session, owner, data["field_id"], words, rng, start, end)]
            filed += [("outgoing", d, d.issued_date) for d in _outgoing(
                session, owner, data["field_id"], words, rng, end)]
            filed.sort(key=lambda f: (f[2], f[1].id))
            sheet = 1  # the documents in date order, numbered sheet by sheet
            for kind, document, _when in filed:
                last = sheet + _pages(document) - 1
                sheets = f"{sheet:02d}" if last == sheet else f"{sheet:02d}-{last:02d}"
                services.link_document(session, owner, dossier, kind, document.id,
                                       sheets=sheets)
                sheet = last + 1
            if closes and dossier.items:
                dossier.end_date = end
                services.apply_action(session, owner, dossier, "close")
                if state == HANDED_OVER:
                    services.apply_action(session, users[OFFICE_CLERK], dossier, "handover")
        except DomainError as error:
            details = getattr(error, "errors", None)
            raise RuntimeError(f"Demo dossier {plan_code or outside[0]}: {error}"
                               f"{' ' + repr(details) if details else ''}") from error
        _backdate(dossier, start, end, [f[2] for f in filed], today)
        session.commit()
        key = "overdue" if services.is_overdue(dossier) else dossier.status
        created[key] = created.get(key, 0) + 1
    click.echo(f"Hồ sơ công việc mẫu: danh mục {len(plan)} mục, {sum(created.values())} hồ sơ ("
               + ", ".join(f"{_demo_label(k)} {v}" for k, v in sorted(created.items())) + ")")
    return created
