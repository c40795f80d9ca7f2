"""The daily notice of overdue work dossiers: to the dossier's keeper (its owner), once for each
deadline (app.notifications.services.remind), by the rule of the dossiers' "Quá hạn" list
(app.dossiers.services.overdue_condition). Run by the notice worker and `flask eoffice
notices`; the notice is done once the dossier is closed or its deadline moved."""
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.core.timefmt import format_date, today_local
from app.dossiers.models import Dossier
from app.dossiers.services import overdue_condition
from app.notifications.services import quote, remind

OVERDUE_KIND = "dossier.overdue"


def remind_dossiers(session, today=None) -> int:
    """Give today's reminders; one unit of work. Returns how many notices were added."""
    today = today or today_local()
    count = 0
    try:
        for dossier in session.scalars(select(Dossier).where(overdue_condition(today))
                                       .order_by(Dossier.id)):
            count += remind(
                session, [dossier.owner_id], f"dossier:{dossier.id}@{dossier.deadline.isoformat()}",
                _("Hồ sơ công việc %(code)s %(title)s đã quá hạn (hạn %(deadline)s).",
                  code=dossier.code, title=quote(dossier.title),
                  deadline=format_date(dossier.deadline)),
                f"/dossiers/{dossier.id}", OVERDUE_KIND, subject=f"dossier:{dossier.id}",
                urgent=True)
        session.commit()
    except IntegrityError:  # another process gave them at the same moment: theirs stand
        session.rollback()
        return 0
    return count
