"""Web forms for incoming documents. Dates are typed dd/mm/yyyy, times HH:mm (Vietnam time)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, HiddenField, MultipleFileField,
    SelectField, StringField, TextAreaField,
)
from wtforms.validators import Length, Optional

from app.catalogs.models import Agency, DocumentType, Field, Register, SecrecyLevel, UrgencyLevel
from app.core.db import vi_order
from app.core.forms import VietnameseDateField, VietnameseDateTimeField, choices
from app.core.legacy_fields import LEGACY_CONVERT
from app.core.numbers import int_or_none
from app.core.validation import BoundedIntegerField
from app.documents.models import CHANNELS

class IncomingForm(FlaskForm):
    register_id = SelectField(_l("Sổ văn bản"), validators=[Optional()])
    arrival_at = VietnameseDateTimeField(_l("Ngày, giờ đến"), validators=[Optional()])
    channel = SelectField(_l("Hình thức nhận"), choices=CHANNELS, default="paper")
    agency_id = SelectField(_l("Cơ quan ban hành"), validators=[Optional()])
    new_agency = StringField(_l("hoặc thêm cơ quan mới"), validators=[Optional()])
    number_symbol = StringField(_l("Số, ký hiệu"), validators=[Optional()])
    document_date = VietnameseDateField(_l("Ngày văn bản"), validators=[Optional()])
    document_type_id = SelectField(_l("Loại văn bản"), validators=[Optional()])
    excerpt = TextAreaField(_l("Trích yếu nội dung"), validators=[Optional()],
                            render_kw=LEGACY_CONVERT)
    signer_name = StringField(_l("Người ký"), validators=[Optional()],
                              render_kw=LEGACY_CONVERT)
    signer_position = StringField(_l("Chức vụ người ký"), validators=[Optional()])
    field_id = SelectField(_l("Lĩnh vực"), validators=[Optional()])
    urgency_id = SelectField(_l("Độ khẩn"), validators=[Optional()])
    secrecy_id = SelectField(_l("Độ mật"), validators=[Optional()])
    page_count = BoundedIntegerField(_l("Số trang"), validators=[Optional()])
    deadline = VietnameseDateField(_l("Hạn xử lý"), validators=[Optional()])
    recipients = StringField(_l("Đơn vị hoặc người nhận"), validators=[Optional()])
    notes = TextAreaField(_l("Ghi chú"), validators=[Optional()], render_kw=LEGACY_CONVERT)
    backfill_reason = StringField(_l("Lý do nhập bù"), validators=[Optional(), Length(max=500)])
    files = MultipleFileField(_l("Tệp đính kèm (PDF, ảnh)"))
    confirm_duplicate = BooleanField(_l("Tôi đã kiểm tra: vẫn vào sổ văn bản này"))
    submit_now = BooleanField(_l("Trình lãnh đạo ngay sau khi vào sổ"), default=True)

    def load_choices(self, session, year=None):
        registers = Register.direction == "in"
        if year:
            registers = registers & (Register.year == year)
        # This year's ordinary register first: it is the one a new arrival goes into.
        self.register_id.choices = choices(session, Register, where=registers & Register.active,
                                           order=(Register.year.desc(), Register.is_secret))
        self.agency_id.choices = choices(session, Agency, where=Agency.active,
                                         order=vi_order(Agency.name))
        self.document_type_id.choices = choices(
            session, DocumentType, where=DocumentType.active, order=DocumentType.sort_order)
        self.field_id.choices = choices(session, Field, where=Field.active,
                                        order=vi_order(Field.name))
        self.urgency_id.choices = choices(session, UrgencyLevel, order=UrgencyLevel.priority)[1:]
        self.secrecy_id.choices = choices(session, SecrecyLevel, order=SecrecyLevel.level)[1:]
        return self

    def data_for_service(self) -> dict:
        ids = ("register_id", "agency_id", "document_type_id", "field_id", "urgency_id",
               "secrecy_id")
        data = {name: self[name].data for name in (
            "arrival_at", "channel", "new_agency", "number_symbol", "document_date", "excerpt",
            "signer_name", "signer_position", "page_count", "deadline", "recipients", "notes",
            "backfill_reason")}
        data.update({name: int_or_none(self[name].data) for name in ids})
        return data


class NoteForm(FlaskForm):
    """Progress, completion, return: one note (and, for completion, the reply's reference)."""
    line_id = HiddenField()
    note = TextAreaField(_l("Nội dung"))
    reply_reference = StringField(_l("Số, ký hiệu văn bản trả lời"), validators=[Optional()])
