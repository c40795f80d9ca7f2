"""Danh mục: the clerk's catalogs (Decree 30/2020 values, seeded by app.catalogs.seed)."""
import re

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean, CheckConstraint, Column, ForeignKey, Integer, SmallInteger, String,
    UniqueConstraint,
)
from sqlalchemy.orm import relationship, validates

from app.core.errors import DomainError
from app.core.model_mixins import CatalogRow, NamedRow, reference


DOCUMENT_KINDS = {1: _l("Văn bản hành chính"), 2: _l("Văn bản quy phạm pháp luật")}


class DocumentType(CatalogRow, Model):
    """Loại văn bản (Appendix III): name and abbreviation, e.g. Quyết định / QĐ."""
    __tablename__ = "document_type"
    __label__ = _l("loại văn bản")  # in "still in use" messages
    KIND_ADMINISTRATIVE, KIND_LEGAL = 1, 2  # edXML DocumentType/Type

    name = Column(String(100), nullable=False, unique=True)
    abbreviation = Column(String(10), unique=True)  # none for Công văn, Thư công
    kind = Column(SmallInteger, nullable=False, default=KIND_ADMINISTRATIVE)
    processing_days = Column(Integer)  # default deadline for incoming ones, in working days
    sort_order = Column(Integer, nullable=False, default=0)


class Field(CatalogRow, Model):
    """Lĩnh vực: the field a document belongs to and a person is responsible for."""
    __tablename__ = "field"
    __label__ = _l("lĩnh vực")

    code = Column(String(20), nullable=False, unique=True)
    name = Column(String(200), nullable=False, unique=True)


ELECTRONIC_ID = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")


def check_electronic_id(value):
    """The agency electronic ID of QĐ 20/2020/QĐ-TTg: 000.00.00.H30 (13 characters)."""
    if value and not ELECTRONIC_ID.match(value.strip().upper()):
        return _l("Mã định danh điện tử phải có dạng 000.00.00.H30 (13 ký tự).")
    return None


class Agency(CatalogRow, Model):
    """Cơ quan, tổ chức: issuing agencies and recipients, with the electronic ID used by edXML."""
    __tablename__ = "agency"
    __label__ = _l("cơ quan")

    name = Column(String(200), nullable=False, unique=True)
    short_name = Column(String(50))
    electronic_id = Column(String(13), unique=True)  # QĐ 20/2020/QĐ-TTg, e.g. 000.00.00.H30
    legacy_code = Column(String(30))  # the older QCVN 102 code, e.g. 28.22.H17
    address = Column(String(300))
    email = Column(String(320))
    phone = Column(String(30))

    @validates("electronic_id")
    def _check_electronic_id(self, _key, value):
        message = check_electronic_id(value)
        if message:
            raise DomainError(message, field="electronic_id")
        return (value or "").strip().upper() or None


class UrgencyLevel(NamedRow, Model):
    """Độ khẩn. `priority` is edXML's Priority (0 Thường … 3 Hỏa tốc)."""
    __tablename__ = "urgency_level"
    __label__ = _l("độ khẩn")

    name = Column(String(50), nullable=False, unique=True)
    priority = Column(SmallInteger, nullable=False, unique=True)
    is_urgent = Column(Boolean, nullable=False, default=False)  # flagged everywhere it appears
    processing_days = Column(Integer)  # default deadline, in working days (tighter wins)


class SecrecyLevel(NamedRow, Model):
    """Độ mật. level 0 (Thường) … 3 (Tuyệt mật); 1 and above restrict who sees a document."""
    __tablename__ = "secrecy_level"
    __label__ = _l("độ mật")

    name = Column(String(50), nullable=False, unique=True)
    level = Column(SmallInteger, nullable=False, unique=True)


SIGNING_AUTHORITIES = [
    ("", _l("Ký trực tiếp")),
    ("TM.", _l("TM. (thay mặt tập thể)")),
    ("KT.", _l("KT. (ký thay người đứng đầu)")),
    ("TL.", _l("TL. (thừa lệnh)")),
    ("TUQ.", _l("TUQ. (thừa ủy quyền)")),
    ("Q.", _l("Q. (quyền)")),
]


def check_authority(value):
    if (value or "") not in dict(SIGNING_AUTHORITIES):
        return _l("Thẩm quyền ký phải là một trong: TM., KT., TL., TUQ., Q. hoặc để trống.")
    return None


class Signer(CatalogRow, Model):
    """Người ký: who signs the agency's documents, with the signing authority mark."""
    __tablename__ = "signer"
    __table_args__ = (
        UniqueConstraint("full_name", "position_title", "authority"),
    )
    __label__ = _l("người ký")

    full_name = Column(String(100), nullable=False)
    position_title = Column(String(100), nullable=False)
    authority = Column(String(5), nullable=False, default="")
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))
    # By name: org depends on catalogs, not the reverse; app.models registers every model
    # before the mappers are configured.
    user = relationship("EofficeUser", foreign_keys=[user_id])

    @validates("authority")
    def _check_authority(self, _key, value):
        message = check_authority(value)
        if message:
            raise DomainError(message, field="authority")
        return value or ""

    def __repr__(self):
        prefix = f"{self.authority} " if self.authority else ""
        return f"{prefix}{self.position_title} – {self.full_name}"


OLDEST_REGISTER_YEAR = 1945  # the oldest archives imported (app.imports.services.OLDEST_YEAR)


def check_register_year(value):
    """A register's year: from 1945 (old archives are imported into their year's register) to
    next year (registers are opened ahead for January)."""
    from datetime import date

    last = date.today().year + 1
    try:
        year = int(value)
    except (TypeError, ValueError, OverflowError):
        year = None
    if year is None or isinstance(value, bool) or not OLDEST_REGISTER_YEAR <= year <= last:
        return _l("Năm của sổ phải từ %(first)s đến %(last)s.", first=OLDEST_REGISTER_YEAR,
                  last=last)
    return None


class Register(CatalogRow, Model):
    """Sổ văn bản: one numbering sequence per register and year (incoming or outgoing)."""
    __tablename__ = "register"
    __table_args__ = (
        UniqueConstraint("direction", "year", "name"),
        CheckConstraint("direction IN ('in', 'out')", name="ck_register_direction"),
    )
    __label__ = _l("sổ văn bản")
    DIRECTIONS = [("in", _l("Văn bản đến")), ("out", _l("Văn bản đi"))]

    name = Column(String(150), nullable=False)
    direction = Column(String(3), nullable=False)
    year = Column(Integer, nullable=False)
    is_secret = Column(Boolean, nullable=False, default=False)
    document_type_id, document_type = reference(DocumentType)

    def __repr__(self):
        return f"{self.name} ({self.year})"


class RetentionPeriod(NamedRow, Model):
    """Thời hạn bảo quản hồ sơ: N years, or permanent when `years` is empty."""
    __tablename__ = "retention_period"
    __label__ = _l("thời hạn bảo quản")

    name = Column(String(50), nullable=False, unique=True)
    years = Column(Integer, unique=True)  # NULL = Vĩnh viễn


class MeetingRoom(CatalogRow, Model):
    """Phòng họp, địa điểm used by the weekly schedules."""
    __tablename__ = "meeting_room"
    __label__ = _l("phòng họp")

    name = Column(String(150), nullable=False, unique=True)
    location = Column(String(300))
    capacity = Column(Integer)


class NewsCategory(CatalogRow, Model):
    """Chuyên mục tin tức of the internal portal."""
    __tablename__ = "news_category"
    __label__ = _l("chuyên mục tin")

    name = Column(String(150), nullable=False, unique=True)
    sort_order = Column(Integer, nullable=False, default=0)

