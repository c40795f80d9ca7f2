"""Which months of the data changed: a version per (kind, month), raised by the transaction
that changes them (app.stats.stamps). The dashboard keeps each month's counts until that
month's version moves (app.stats.partials), so a change recomputes one month, not a decade."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Integer, String


class StatsStamp(Model):
    __tablename__ = "stats_stamp"
    __label__ = _l("phiên bản số liệu thống kê")

    kind = Column(String(16), primary_key=True)  # app.stats.stamps.KINDS
    # yyyy-mm (Vietnam time); "*" for no month; "u<id>" for one unit's people (PEOPLE)
    month = Column(String(7), primary_key=True)
    version = Column(Integer, nullable=False, default=0)
