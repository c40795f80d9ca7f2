"""Certificates the application trusts and knows (ký số): the trust anchors the administrator
configures (root and intermediate CA certificates of the Government's special-use CA and of
licensed public CAs; the application ships none) and each person's signing certificates, so
that a PDF signed with a token is recognised as that person's signature.

Models only; what is done with them is in app.security.signing."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean, Column, DateTime, ForeignKey, Integer, LargeBinary, String, true,
)
from sqlalchemy.orm import relationship

from app.core.timefmt import utcnow
from app.org.models import EofficeUser


class TrustAnchor(Model):
    """A CA certificate (root or intermediate) that signatures are checked against."""
    __tablename__ = "trust_anchor"
    __label__ = _l("chứng thư số tin cậy")

    id = Column(Integer, primary_key=True)
    name = Column(String(255), nullable=False)  # the subject's common name, as shown
    subject = Column(String(1000), nullable=False)
    issuer = Column(String(1000), nullable=False)
    sha256 = Column(String(64), nullable=False, unique=True)  # of the DER
    der = Column(LargeBinary, nullable=False)
    is_root = Column(Boolean, nullable=False, default=True)  # self-signed
    not_before = Column(DateTime, nullable=False)  # UTC
    not_after = Column(DateTime, nullable=False)
    active = Column(Boolean, nullable=False, default=True, server_default=true())
    added_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    added_by = relationship(EofficeUser, foreign_keys=[added_by_id])
    added_at = Column(DateTime, nullable=False, default=utcnow)

    def __repr__(self):
        return self.name


class PersonalCertificate(Model):
    """A person's signing certificate: uploaded by the administrator (.cer), or taken from the
    first PDF the person uploaded signed, once the administrator confirmed it. Only a confirmed,
    active certificate makes an uploaded signature that person's."""
    __tablename__ = "personal_certificate"
    __label__ = _l("chứng thư số cá nhân")

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False,
                     index=True)
    user = relationship(EofficeUser, foreign_keys=[user_id])
    subject = Column(String(1000), nullable=False)
    common_name = Column(String(255), nullable=False)
    issuer = Column(String(1000), nullable=False)
    serial = Column(String(80), nullable=False)  # hexadecimal
    sha256 = Column(String(64), nullable=False, unique=True)
    der = Column(LargeBinary, nullable=False)
    not_before = Column(DateTime, nullable=False)
    not_after = Column(DateTime, nullable=False)
    confirmed = Column(Boolean, nullable=False, default=False)
    active = Column(Boolean, nullable=False, default=True, server_default=true())
    # For the remote signing service (CSC API): the credential of this certificate there.
    csc_credential_id = Column(String(255))
    added_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    added_by = relationship(EofficeUser, foreign_keys=[added_by_id])
    added_at = Column(DateTime, nullable=False, default=utcnow)

    def __repr__(self):
        return self.common_name
