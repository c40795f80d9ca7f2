"""Request forms: the rules, as plain functions that take the acting user and the session.
The web views, the REST API and the demo data all call these; each either saves everything
it was asked to or nothing (FormErrors / DomainError with a Vietnamese message)."""
from datetime import date

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update
from flask_appbuilder.security.sqla.models import Group
from sqlalchemy.orm import selectinload

from app.audit.version import remembered
from app.core import storage
from app.core.errors import DomainError, FormErrors
from app.core.text import fold, nfc, vietnamese_sort_key
from app.core.timefmt import add_working_days, format_date, today_local, utcnow
from app.notifications.services import notify, quote, settle, settle_all
from app.org.models import Department, EofficeUser
from app.request_forms import workflow
from app.request_forms.access import (
    LEADER_ROLES, TAKES_PART, role_names, takes_part, visible_requests,
)
from app.request_forms.models import (
    CLOSED_STATES, DONE, OPEN_STATES, REFUSED, SENT, RequestForm,
    RequestFormEvent,
)

SUBJECT_MAX = 500


# ---------------------------------------------------------------- reading

def visible_query(user):
    return select(RequestForm).where(visible_requests(user))


def is_overdue(request, today: date | None = None) -> bool:
    """Not done, refused or withdrawn, and past its deadline."""
    today = today or today_local()
    return request.state in OPEN_STATES and request.deadline is not None and \
        request.deadline < today


def is_due_soon(request, today: date | None = None) -> bool:
    today = today or today_local()
    until = add_working_days(today, current_app.config["DUE_SOON_DAYS"])
    return request.state in OPEN_STATES and today <= request.deadline <= until


def _to_me_or_my_unit(user):
    """Addressed to the user, passed to them, or addressed to their unit."""
    mine = [RequestForm.target_user_id == user.id, RequestForm.assignee_id == user.id]
    if user.department_id:
        mine.append(RequestForm.target_department_id == user.department_id)
    return or_(*mine)


INBOXES = [
    ("incoming", _l("Phiếu đến")),
    ("due_soon", _l("Sắp đến hạn")),
    ("overdue", _l("Quá hạn")),
    ("processed", _l("Đã xử lý")),
    ("sent", _l("Phiếu đã gửi")),
]


def inbox_query(user, box: str):
    """The request forms of one inbox: incoming (to me or my unit, open), due_soon, overdue,
    processed (to me or my unit, done or refused), sent (mine)."""
    base = visible_query(user)
    if not takes_part(user):
        return base
    today = today_local()
    to_me_open = and_(_to_me_or_my_unit(user), RequestForm.state.in_(OPEN_STATES))
    if box == "incoming":
        return base.where(to_me_open)
    if box == "due_soon":
        until = add_working_days(today, current_app.config["DUE_SOON_DAYS"])
        return base.where(to_me_open, RequestForm.deadline >= today,
                          RequestForm.deadline <= until)
    if box == "overdue":
        return base.where(to_me_open, RequestForm.deadline < today)
    if box == "processed":
        return base.where(_to_me_or_my_unit(user), RequestForm.state.in_((DONE, REFUSED)))
    if box == "sent":
        return base.where(RequestForm.sender_id == user.id)
    raise DomainError(_l("Không có hộp phiếu yêu cầu này."))


def inbox_counts(session, user) -> list[tuple[str, str, int]]:
    """[(box, label, request forms)]: remembered per version of the data (every change of a
    request form, a person or a unit is audited), the reader, the language and the day (the
    boxes "due soon" and "overdue" follow it)."""
    return remembered(session, "request-boxes", (user.id, get_locale(), today_local()),
                      lambda: [(key, str(label), session.scalar(select(func.count()).select_from(
                          inbox_query(user, key).subquery()))) for key, label in INBOXES])


def search_condition(text: str):
    """Accent- and case-insensitive: 'hoa giai' finds 'Hòa giải', 'dat dai' finds 'đất đai'."""
    words = fold(text or "").split()
    conditions = [RequestForm.search_text.contains(w, autoescape=True) for w in words]
    return and_(*conditions) if conditions else True


def refresh_search_text(request):
    parts = [request.subject, request.content,
             request.sender.full_name if request.sender else "",
             request.sender_department.name if request.sender_department else "",
             str(request.target or ""), request.assignee.full_name if request.assignee else "",
             request.result_note or "", request.refusal_reason or "",
             request.dossier.code if request.dossier else ""]
    for record in request.files:
        parts += [record.original_name, record.text or ""]
    request.search_text = fold(" ".join(p for p in parts if p))[:200_000]


# ---------------------------------------------------------------- choices

def target_units(session):
    """The units a request may be addressed to: the agency's active units (not the agency)."""
    units = session.scalars(select(Department).where(
        Department.active.is_(True), Department.parent_id.is_not(None)))
    return sorted(units, key=lambda d: (d.sort_order, vietnamese_sort_key(d.name)))


def _active_people(session, *conditions, shown=()):
    """The active people who take part in request forms (`conditions`: of those, which), with
    their roles and the relationships `shown` of them read at once, not one query per
    person."""
    people = session.scalars(
        select(EofficeUser).where(EofficeUser.active.is_(True), *conditions)
        .options(selectinload(EofficeUser.roles),
                 selectinload(EofficeUser.groups).selectinload(Group.roles),
                 *(selectinload(r) for r in shown)))
    return sorted((p for p in people if role_names(p) & TAKES_PART),
                  key=lambda p: vietnamese_sort_key(p.full_name))


def target_people(session, user=None):
    """(leaders, others): people a request may be addressed to, the sender left out (the form
    shows their position and unit)."""
    people = [p for p in _active_people(
        session, shown=(EofficeUser.position, EofficeUser.department))
        if user is None or p.id != user.id]
    leaders = [p for p in people if role_names(p) & LEADER_ROLES]
    return leaders, [p for p in people if not role_names(p) & LEADER_ROLES]


def unit_people(session, request, shown=()):
    """The people of a unit target its leader may pass the request to (`shown`: what of them
    is shown, read at once)."""
    if request.target_department_id is None:
        return []
    return _active_people(session, EofficeUser.department_id == request.target_department_id,
                          shown=shown)


def forward_choices(session, request):
    """Whom the unit's leader may pass the request to (its page's chooser, with their
    positions): the unit's people but the one handling it now."""
    return [p for p in unit_people(session, request, shown=(EofficeUser.position,))
            if p.id != request.assignee_id]


def history(session, request):
    """The request's history, oldest first, with the people who acted (read at once)."""
    return list(session.scalars(
        select(RequestFormEvent).where(RequestFormEvent.request_id == request.id)
        .order_by(RequestFormEvent.id).options(selectinload(RequestFormEvent.actor))))


def linkable_dossiers(session, user):
    """The open work dossiers the user may see (app.dossiers.access): those a request may be
    linked to."""
    from app.dossiers.access import visible_dossier
    from app.dossiers.models import OPEN, Dossier

    return list(session.scalars(select(Dossier).where(
        visible_dossier(user), Dossier.status == OPEN).order_by(
        Dossier.year.desc(), Dossier.code)))


def _dossier_error(session, user, dossier_id):
    from app.dossiers.access import get_visible
    from app.dossiers.models import OPEN

    dossier = get_visible(session, user, dossier_id)
    if dossier is None:
        return _l("Không tìm thấy hồ sơ công việc này, hoặc bạn không có quyền xem hồ sơ.")
    if dossier.status != OPEN:
        return _l("Hồ sơ công việc đã đóng; chọn một hồ sơ đang mở.")
    return None


def parse_target(value):
    """'d:<unit id>' or 'u:<user id>' (the form's chooser) → (department_id, user_id)."""
    kind, _sep, ident = (value or "").strip().partition(":")
    if not value or not (value or "").strip():
        return None, None
    if kind not in ("d", "u") or not ident.isdecimal():
        raise FormErrors({"target": [_l("Đơn vị hoặc người nhận không hợp lệ.")]})
    return (int(ident), None) if kind == "d" else (None, int(ident))


# ---------------------------------------------------------------- validation

def _text(value):
    return nfc(value.strip()) if isinstance(value, str) else value


def _int_or_error(data, key, errors):
    value = data.get(key)
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        errors.setdefault(key, []).append(_l("Phải là số nguyên."))
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        errors.setdefault(key, []).append(_l("Phải là số nguyên."))
        return None


def validate(session, user, data: dict) -> dict:
    """Every rule of a new request form; raises FormErrors listing every problem.
    data: subject, content, deadline (date), target_department_id | target_user_id."""
    errors = {}
    subject = _text(data.get("subject")) or ""
    content = _text(data.get("content")) or ""
    if not subject:
        errors["subject"] = [_l("Nhập tiêu đề phiếu yêu cầu.")]
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = [_l("Tiêu đề dài tối đa %(max)s ký tự.", max=SUBJECT_MAX)]
    if not content:
        errors["content"] = [_l("Nhập nội dung yêu cầu.")]
    deadline = data.get("deadline")
    if deadline in (None, ""):
        errors["deadline"] = [_l("Nhập hạn xử lý.")]
    elif not isinstance(deadline, date):
        errors["deadline"] = [_l("Ngày phải có dạng dd/mm/yyyy, ví dụ 05/03/2026.")]
    elif deadline < today_local():
        errors["deadline"] = [_l("Hạn xử lý không thể trước ngày hôm nay.")]
    department_id = _int_or_error(data, "target_department_id", errors)
    user_id = _int_or_error(data, "target_user_id", errors)
    if "target_department_id" in errors or "target_user_id" in errors:
        errors["target"] = errors.pop("target_department_id", []) + \
            errors.pop("target_user_id", [])
    elif department_id is None and user_id is None:
        errors["target"] = [_l("Chọn đơn vị hoặc người nhận phiếu.")]
    elif department_id is not None and user_id is not None:
        errors["target"] = [_l("Phiếu chỉ gửi tới một đơn vị hoặc một người.")]
    elif department_id is not None:
        unit = session.get(Department, department_id)
        if unit is None or not unit.active or unit.parent_id is None:
            errors["target"] = [_l("Đơn vị nhận không tồn tại hoặc không còn hoạt động.")]
    else:
        person = session.get(EofficeUser, user_id)
        if person is None or not person.active or not role_names(person) & TAKES_PART:
            errors["target"] = [_l("Người nhận không tồn tại, đã bị khóa hoặc không dùng "
                                   "chức năng phiếu yêu cầu.")]
        elif user is not None and person.id == user.id:
            errors["target"] = [_l("Không thể gửi phiếu yêu cầu cho chính mình.")]
    dossier_id = _int_or_error(data, "dossier_id", errors)
    if dossier_id is not None:
        message = _dossier_error(session, user, dossier_id)
        if message:
            errors["dossier_id"] = [message]
    if errors:
        raise FormErrors(errors)
    return {"subject": subject, "content": content, "deadline": deadline,
            "target_department_id": department_id, "target_user_id": user_id,
            "dossier_id": dossier_id}


def check_files(uploads):
    try:
        return storage.check_files(uploads, allowed=storage.ANY_DOCUMENT)
    except storage.FileErrors as error:
        raise FormErrors({"files": error.messages}) from error


def check_sender(user):
    if not takes_part(user):
        raise DomainError(_l("Bạn không có quyền gửi phiếu yêu cầu."))
    if not user.department_id:
        raise DomainError(_l("Tài khoản của bạn chưa thuộc đơn vị nào; đề nghị quản trị mạng "
                             "cập nhật đơn vị trước khi gửi phiếu."))


# ---------------------------------------------------------------- writing

def _event(request, user, action, from_state, note=None):
    request.events.append(RequestFormEvent(
        actor_id=user.id if user else None, action=action, from_state=from_state,
        to_state=request.state, note=str(note) if note else None, at=utcnow()))
    _tell_request(request, user, action, note)


def create_request(session, user, data: dict, uploads=()) -> RequestForm:
    """Send a request form: validate everything, then save it with its files and the first
    history line in one transaction."""
    check_sender(user)
    errors = {}
    try:
        data = validate(session, user, data)
    except FormErrors as error:
        errors.update(error.errors)
    try:
        checked = check_files(uploads)
    except FormErrors as error:
        errors.update(error.errors)
    if errors:
        raise FormErrors(errors)
    with storage.saving_files(session) as store:
        request = RequestForm(
            state=SENT, subject=data["subject"], content=data["content"],
            deadline=data["deadline"], sender_id=user.id,
            sender_department_id=user.department_id,
            target_department_id=data["target_department_id"],
            target_user_id=data["target_user_id"], dossier_id=data["dossier_id"],
            sent_at=utcnow())
        session.add(request)
        for blob, info in checked:
            request.files.append(store(user, blob, info))
        session.flush()
        _event(request, user, "send", None)
        refresh_search_text(request)
    return request


def _apply(session, user, request, action, note=None):
    """Check the transition table, move the state (guarded against a concurrent move) and
    record the step."""
    transition = workflow.transition_for(request, action)
    if transition is None or not transition.may(user, request):
        raise DomainError(_l("Bạn không thể thực hiện thao tác này với phiếu yêu cầu ở trạng "
                             "thái hiện tại."))
    from_state = request.state
    if transition.new_state and transition.new_state != from_state:
        moved = session.execute(
            update(RequestForm).where(RequestForm.id == request.id,
                                      RequestForm.state == from_state)
            .values(state=transition.new_state, updated_at=utcnow())
            .execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            raise DomainError(_l("Phiếu yêu cầu vừa được người khác cập nhật; vui lòng tải lại "
                                 "trang."))
        request.state = transition.new_state
        if transition.new_state in CLOSED_STATES:
            request.closed_at = utcnow()
    _event(request, user, action, from_state, note)


def _note(value):
    return nfc((value or "").strip()) if isinstance(value, str) else None


def accept(session, user, request, note=None):
    _apply(session, user, request, "accept", _note(note) or None)
    session.commit()


def _closed_with(session, user, request, action, text, missing, column):
    """Refuse or complete: the reason or the result (`missing` when there is none) is the
    step's note and is kept on the form (`column`), found by the search."""
    text = _note(text)
    if not text:
        raise FormErrors({"note": [missing]})
    _apply(session, user, request, action, text)
    setattr(request, column, text)
    refresh_search_text(request)
    session.commit()


def refuse(session, user, request, reason):
    _closed_with(session, user, request, "refuse", reason, _l("Nhập lý do từ chối."),
                 "refusal_reason")


def complete(session, user, request, result):
    _closed_with(session, user, request, "complete", result, _l("Nhập kết quả xử lý."),
                 "result_note")


def withdraw(session, user, request, note=None):
    _apply(session, user, request, "withdraw", _note(note) or None)
    session.commit()


def forward(session, user, request, assignee_id, note=None):
    """The unit's leader passes the request to a person of the unit."""
    if not workflow.allowed(user, request, "forward"):
        raise DomainError(_l("Bạn không thể thực hiện thao tác này với phiếu yêu cầu ở trạng "
                             "thái hiện tại."))
    try:
        assignee_id = int(assignee_id) if assignee_id not in (None, "") else None
    except (TypeError, ValueError):
        assignee_id = None
    person = next((p for p in unit_people(session, request) if p.id == assignee_id), None)
    if person is None:
        raise FormErrors({"assignee_id": [_l("Chọn một người của đơn vị nhận phiếu.")]})
    if person.id == request.assignee_id:
        raise FormErrors({"assignee_id": [_l("Phiếu đang do người này xử lý.")]})
    note = _note(note)
    passed = str(_l("Giao cho %(name)s", name=person.full_name))
    _apply(session, user, request, "forward", f"{passed}: {note}" if note else passed)
    request.assignee_id = person.id
    _tell_request(request, user, "passed")
    session.flush()
    session.expire(request, ["assignee"])
    refresh_search_text(request)
    session.commit()


def attach_files(session, user, request, uploads):
    """The sender or the one handling it adds files while the request is open."""
    if not workflow.allowed(user, request, "attach"):
        raise DomainError(_l("Bạn không thể thêm tệp vào phiếu yêu cầu này."))
    if not uploads:
        raise FormErrors({"files": [_l("Chọn ít nhất một tệp.")]})
    checked = check_files(uploads)
    with storage.saving_files(session) as store:
        names = []
        for blob, info in checked:
            request.files.append(store(user, blob, info))
            names.append(info.original_name)
        _apply(session, user, request, "attach", ", ".join(names))
        refresh_search_text(request)


ACTIONS = {
    "accept": lambda s, u, r, note=None, **_: accept(s, u, r, note),
    "refuse": lambda s, u, r, note=None, **_: refuse(s, u, r, note),
    "complete": lambda s, u, r, note=None, **_: complete(s, u, r, note),
    "withdraw": lambda s, u, r, note=None, **_: withdraw(s, u, r, note),
    "forward": lambda s, u, r, note=None, assignee_id=None, **_: forward(s, u, r, assignee_id,
                                                                         note),
    "attach": lambda s, u, r, uploads=(), **_: attach_files(s, u, r, uploads),
}


def act(session, user, request, action, note=None, assignee_id=None, uploads=()):
    """One entry point for the web and the API: the action by name (`uploads`: the files of
    `attach`)."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise DomainError(_l("Không có thao tác này."))
    handler(session, user, request, note=note, assignee_id=assignee_id, uploads=uploads)


# ---------------------------------------------------------------- notices (app.notifications)

def _handlers(session, request) -> list[int]:
    """Who answers the request now (app.request_forms.workflow.handles): the person
    addressed, the person it was passed to, or the leaders of the unit addressed."""
    if request.target_user_id is not None:
        return [request.target_user_id]
    if request.assignee_id is not None:
        return [request.assignee_id]
    return [p.id for p in unit_people(session, request) if workflow.leads_target_unit(p, request)]


def _tell_request(request, user, action, note=None):
    """Called with every recorded step (and once more, "passed", when a leader passes it on):
    the actor's notices about the request are done; the addressee is told of a new request or
    one passed to them, the sender of its answer; a closed request waits for nobody."""
    from sqlalchemy.orm import object_session

    session = object_session(request)
    if session is None or request.id is None:
        return
    subject, url = f"request_form:{request.id}", f"/request/{request.id}"
    name = quote(request.subject)
    settle(session, user, subject)
    if action in ("forward", "complete", "refuse", "withdraw"):
        settle_all(session, subject, ("request_form.received",))
    if action == "send":
        message = (_l("Phiếu yêu cầu %(name)s của %(who)s gửi đến bạn, hạn %(deadline)s.",
                      name=name, who=user.full_name, deadline=format_date(request.deadline))
                   if request.target_user_id else
                   _l("Phiếu yêu cầu %(name)s của %(who)s gửi đến đơn vị bạn, hạn "
                      "%(deadline)s.", name=name, who=user.full_name,
                      deadline=format_date(request.deadline)))
        notify(session, _handlers(session, request), message, url, "request_form.received",
               exclude=user, subject=subject)
    elif action == "passed":
        notify(session, [request.assignee_id],
               _l("Phiếu yêu cầu %(name)s được giao cho bạn xử lý, hạn %(deadline)s.",
                  name=name, deadline=format_date(request.deadline)),
               url, "request_form.received", exclude=user, subject=subject)
    elif action in ("complete", "refuse"):
        message = (_l("Phiếu yêu cầu %(name)s đã được hoàn thành: %(result)s", name=name,
                      result=note or "") if action == "complete" else
                   _l("Phiếu yêu cầu %(name)s bị từ chối: %(reason)s", name=name,
                      reason=note or ""))
        notify(session, [request.sender_id], message, url, "request_form.answered",
               exclude=user)
    elif action == "withdraw":
        notify(session, _handlers(session, request),
               _l("Phiếu yêu cầu %(name)s đã được người gửi thu hồi.", name=name), url,
               "request_form.withdrawn", exclude=user)
