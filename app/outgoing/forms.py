"""Forms for drafts and issuance (dates dd/mm/yyyy)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    MultipleFileField, SelectField, SelectMultipleField, StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from app.catalogs.models import Agency, DocumentType, Field, Register, SecrecyLevel, Signer
from app.catalogs.models import UrgencyLevel
from app.core.db import vi_order
from app.core.forms import VietnameseDateField, choices
from app.core.legacy_fields import LEGACY_CONVERT
from app.core.numbers import int_or_none
from app.core.validation import BoundedIntegerField
from app.org.models import Department, EofficeUser


class DraftForm(FlaskForm):
    document_type_id = SelectField(_l("Loại văn bản"), validators=[Optional()])
    excerpt = TextAreaField(_l("Trích yếu nội dung"), validators=[Optional()],
                            render_kw=LEGACY_CONVERT)
    field_id = SelectField(_l("Lĩnh vực"), validators=[Optional()])
    urgency_id = SelectField(_l("Độ khẩn"), validators=[Optional()])
    secrecy_id = SelectField(_l("Độ mật"), validators=[Optional()])
    signer_id = SelectField(_l("Người ký"), validators=[Optional()])
    drafting_department_id = SelectField(_l("Đơn vị soạn thảo"), validators=[Optional()])
    internal_unit_ids = SelectMultipleField(_l("Nơi nhận nội bộ: đơn vị"),
                                            validators=[Optional()])
    internal_user_ids = SelectMultipleField(_l("Nơi nhận nội bộ: cá nhân"),
                                            validators=[Optional()])
    external_agency_ids = SelectMultipleField(_l("Nơi nhận bên ngoài"), validators=[Optional()])
    # kept hidden: the page shows the incoming document's arrival number and number/symbol
    reply_to_id = BoundedIntegerField(_l("Trả lời văn bản đến"), validators=[Optional()])
    notes = TextAreaField(_l("Ghi chú"), validators=[Optional()], render_kw=LEGACY_CONVERT)
    files = MultipleFileField(_l("Tệp dự thảo (Word, PDF)"))
    version_note = StringField(_l("Ghi chú phiên bản"), validators=[Optional()])

    def load_choices(self, session):
        self.document_type_id.choices = choices(
            session, DocumentType, where=DocumentType.active, order=DocumentType.sort_order)
        self.field_id.choices = choices(session, Field, where=Field.active,
                                        order=vi_order(Field.name))
        self.urgency_id.choices = choices(session, UrgencyLevel, order=UrgencyLevel.priority)[1:]
        self.secrecy_id.choices = choices(session, SecrecyLevel, order=SecrecyLevel.level)[1:]
        self.signer_id.choices = choices(session, Signer, where=Signer.active)
        self.drafting_department_id.choices = choices(
            session, Department, where=Department.active, order=Department.sort_order)
        self.internal_unit_ids.choices = choices(
            session, Department, where=Department.active, order=Department.sort_order)[1:]
        self.internal_user_ids.choices = [
            (str(u.id), u.full_name) for u in session.scalars(
                select(EofficeUser).where(EofficeUser.active.is_(True))
                .order_by(vi_order(EofficeUser.first_name)))]
        self.external_agency_ids.choices = choices(
            session, Agency, where=Agency.active, order=vi_order(Agency.name))[1:]
        return self

    def data_for_service(self) -> dict:
        ids = ("document_type_id", "field_id", "urgency_id", "secrecy_id", "signer_id",
               "drafting_department_id")
        data = {name: int_or_none(self[name].data) for name in ids}
        data.update({name: [n for n in map(int_or_none, self[name].data or []) if n] for name in (
            "internal_unit_ids", "internal_user_ids", "external_agency_ids")})
        data.update(excerpt=self.excerpt.data, notes=self.notes.data,
                    reply_to_id=self.reply_to_id.data)
        return data

    def fill_reply(self, prefill: dict):
        """A reply to an incoming document (app.outgoing.services.reply_prefill): the sending
        agency as recipient (when it is in the catalog's active list), field and excerpt."""
        self.reply_to_id.data = prefill["reply_to_id"]
        self.excerpt.data = prefill["excerpt"]
        offered = {value for value, _label in self.field_id.choices}
        if prefill.get("field_id") and str(prefill["field_id"]) in offered:
            self.field_id.data = str(prefill["field_id"])
        agencies = {value for value, _label in self.external_agency_ids.choices}
        self.external_agency_ids.data = [str(x) for x in prefill.get("external_agency_ids", [])
                                         if str(x) in agencies]

    def fill_from(self, draft):
        for name in ("document_type_id", "field_id", "urgency_id", "secrecy_id", "signer_id",
                     "drafting_department_id"):
            value = getattr(draft, name)
            self[name].data = str(value) if value else ""
        self.excerpt.data, self.notes.data = draft.excerpt, draft.notes
        self.reply_to_id.data = draft.reply_to_id
        self.internal_unit_ids.data = [str(x.id) for x in draft.internal_units]
        self.internal_user_ids.data = [str(x.id) for x in draft.internal_users]
        self.external_agency_ids.data = [str(x.id) for x in draft.external_agencies]


class IssueForm(FlaskForm):
    register_id = SelectField(_l("Sổ văn bản đi"), validators=[Optional()])
    issued_date = VietnameseDateField(_l("Ngày ban hành"), validators=[Optional()])
    place = StringField(_l("Địa danh"), validators=[Optional()])
    symbol = StringField(_l("Ký hiệu"), validators=[Optional()])
    copies = BoundedIntegerField(_l("Số lượng bản"), validators=[Optional()])
    archive_holder = StringField(_l("Đơn vị, người nhận bản lưu"), validators=[Optional()])
    scan = MultipleFileField(_l("Bản quét có chữ ký, đóng dấu (PDF hoặc ảnh)"))

    def load_choices(self, session, secret: bool):
        self.register_id.choices = choices(session, Register, where=(
            (Register.direction == "out") & Register.active & (Register.is_secret == secret)),
            order=Register.year.desc())[1:]
        return self
