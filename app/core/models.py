"""The shared file record: every uploaded or generated file of every domain (incoming and
outgoing documents, drafts, request forms, news), stored by app.core.storage."""
from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, Float, ForeignKey, Integer, String, Text

from app.core.timefmt import utcnow


class DocumentFile(Model):
    """A file kept outside static/ under a generated name (app.core.files)."""
    __tablename__ = "document_file"
    __label__ = _l("tệp đính kèm")

    id = Column(Integer, primary_key=True)
    # The incoming document the file belongs to, if it is one of those (the relationship
    # `incoming` is declared by app.documents.models: the kernel names no domain's model).
    incoming_id = Column(Integer, ForeignKey("incoming_document.id", ondelete="CASCADE"),
                         index=True)
    storage_name = Column(String(80), nullable=False, unique=True)
    original_name = Column(String(255), nullable=False)
    size = Column(Integer, nullable=False)
    sha256 = Column(String(64), nullable=False)
    content_type = Column(String(100), nullable=False)
    page_count = Column(Integer)
    text = Column(Text)
    uploaded_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="RESTRICT"))
    uploaded_at = Column(DateTime, nullable=False, default=utcnow)
    # Where the clerk put the arrival stamp on an incoming PDF (mm from the left and the top
    # of the first page as displayed); empty: a blank space is found (app.core.stamp_place).
    stamp_left_mm = Column(Float)
    stamp_top_mm = Column(Float)
    # Digital signatures in a PDF (app.core.pades, kept by app.security.signing): None = not
    # checked (not a PDF, or stored before checking existed); "unsigned"; "valid"; "invalid";
    # "unknown" (intact, but the chain or the revocation could not be established). The report
    # is JSON (pades.Report.to_json): each signature's signer, time, scope and reasons.
    signature_state = Column(String(10), index=True)
    signature_report = Column(Text)
    signature_checked_at = Column(DateTime)
    # Nhận dạng chữ (OCR) of a scan (app.documents.ocr_jobs): None = not needed or not
    # checked; "waiting"; "done"; "failed" (ocr_message says why); "off" (OCR not enabled on
    # this server when the file came: done once it is). The OCR'd copy with a text layer is
    # stored beside the original (which stays untouched) under ocr_storage_name.
    ocr_state = Column(String(10), index=True)
    ocr_storage_name = Column(String(80))
    ocr_message = Column(Text)
    ocr_at = Column(DateTime)

    @property
    def is_pdf(self):
        return self.content_type == "application/pdf"
