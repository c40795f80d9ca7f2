"""The life of a work dossier (Decree 30/2020, Art. 28–31) as one transition table:
(status, action) → (new status, who may). Who sees a dossier is app.dossiers.access; who may
change an open dossier is `can_edit`."""
from flask_babel import lazy_gettext as _l

from app.core.workflow import NOTE_REQUIRED, Transition
from app.dossiers.models import CLOSED, HANDED_OVER, OPEN
from app.security.access import may

# Decree 30/2020 (Art. 28–31): dossiers kept 5 years or more are handed to the agency archive.
# A setting (DOSSIER_HANDOVER_MIN_YEARS) so that a correction is one edit.
HANDOVER_MIN_YEARS = 5


def handover_min_years():
    from flask import current_app  # the setting, read when asked

    try:
        return int(current_app.config.get("DOSSIER_HANDOVER_MIN_YEARS", HANDOVER_MIN_YEARS))
    except RuntimeError:  # outside an application
        return HANDOVER_MIN_YEARS


# ---------------------------------------------------------------- who may do what

def owns(user, dossier):
    return dossier.owner_id == user.id


def leads_unit_of(user, dossier):
    """The user leads the dossier's unit (a unit leader, or the office leader for the office)."""
    return (dossier.department_id is not None and dossier.department_id == user.department_id
            and may(user, "can_lead_unit", "Dossier"))


def owner_or_unit_leader(user, dossier):
    return owns(user, dossier) or leads_unit_of(user, dossier)


def is_office(user, _dossier=None):
    """The office keeps the dossier plan and hands dossiers over to the archive."""
    return may(user, "can_write", "DossierPlan")


def is_office_leader(user, _dossier=None):
    """Keeps the agency's dossiers in order: edits any, gives any to anyone."""
    return may(user, "can_keep_all", "Dossier")


def is_archivable(dossier) -> bool:
    """Kept long enough to be handed to the agency archive (permanent or ≥ the minimum)."""
    years = dossier.retention.years if dossier.retention else None
    return years is None or years >= handover_min_years()


def office_hands_over(user, dossier):
    return is_office(user) and is_archivable(dossier)


def can_edit(user, dossier) -> bool:
    """Change an open dossier (its details, its documents): the owner, the leader of its unit,
    the office leader (who keeps the agency's dossiers in order)."""
    return dossier.status == OPEN and (owner_or_unit_leader(user, dossier)
                                       or is_office_leader(user))


def can_create(user) -> bool:
    return may(user, "can_write", "Dossier")


# ---------------------------------------------------------------- the transition table

TRANSITIONS = {
    (OPEN, "close"): Transition(CLOSED, owner_or_unit_leader, _l("Đóng hồ sơ")),
    (CLOSED, "handover"): Transition(HANDED_OVER, office_hands_over,
                                     _l("Nộp lưu vào lưu trữ cơ quan")),
    (CLOSED, "reopen"): Transition(OPEN, is_office_leader, _l("Mở lại hồ sơ"), note=NOTE_REQUIRED),
}

EVENT_LABELS = {
    "open": _l("Mở hồ sơ"),
    "update": _l("Sửa thông tin hồ sơ"),
    "link": _l("Thêm văn bản vào hồ sơ"),
    "unlink": _l("Bỏ văn bản khỏi hồ sơ"),
    "item": _l("Sửa thông tin văn bản trong hồ sơ"),
    "close": _l("Đóng hồ sơ"),
    "handover": _l("Nộp lưu vào lưu trữ cơ quan"),
    "reopen": _l("Mở lại hồ sơ"),
}


def dossier_actions(user, dossier):
    """[(action, label, note_required)] the user may take on the dossier now."""
    return [(action, t.label, t.note_required) for (status, action), t in TRANSITIONS.items()
            if status == dossier.status and t.may(user, dossier)]


def transition_for(dossier, action):
    return TRANSITIONS.get((dossier.status, action))
