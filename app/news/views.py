"""Web pages for internal news: the list (published, on my desk, mine, all I may see), the
item page with its actions, history and revisions, the write/edit form with the rich-text
editor, and the images (uploaded through us, served by us)."""
from flask import abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from app.core.errors import DomainError
from app.core.forms import VietnameseDateTimeField
from app.core.kept_uploads import KeptUploads
from app.core.views import method_permissions, or_404, posted_action
from app.extensions import db
from app.news import services, workflow
from app.news.access import get_visible, get_visible_image, writes_news
from app.news.images import send_image
from app.news.models import STATES, SUMMARY_MAX, TITLE_MAX, NewsItem
from app.news.sanitize import clean_html

PAGE_SIZE = 20
ACCEPT_IMAGES = "image/jpeg,image/png"


class NewsForm(FlaskForm):
    title = StringField(_l("Tiêu đề"), validators=[Optional()])
    summary = TextAreaField(_l("Tóm tắt"), validators=[Optional()])
    body = TextAreaField(_l("Nội dung"), validators=[Optional()])
    category_id = SelectField(_l("Chuyên mục"), validators=[Optional()], validate_choice=False)
    featured = BooleanField(_l("Tin nổi bật"))
    publish_at = VietnameseDateTimeField(_l("Hẹn giờ đăng"), validators=[Optional()])
    backfill_reason = StringField(_l("Lý do nhập bù"), validators=[Optional()])
    cover = FileField(_l("Ảnh đại diện"))
    remove_cover = BooleanField(_l("Bỏ ảnh đại diện"))
    version = HiddenField()

    def load_choices(self, session, item=None):
        self.category_id.choices = [("", "")] + [
            (str(c.id), c.name)
            for c in services.categories(session, item.category_id if item else None)]
        return self

    def fill_from(self, item):
        self.title.data, self.summary.data, self.body.data = item.title, item.summary, item.body
        self.category_id.data = str(item.category_id)
        self.featured.data = item.featured
        if item.publish_at:
            from app.core.timefmt import to_local

            self.publish_at.data = to_local(item.publish_at).replace(tzinfo=None)
        self.backfill_reason.data = item.backfill_reason or ""
        self.version.data = str(item.version)

    def data_for_service(self) -> dict:
        return {"title": self.title.data, "summary": self.summary.data, "body": self.body.data,
                "category_id": self.category_id.data, "featured": self.featured.data,
                "publish_at": self.publish_at.data, "remove_cover": self.remove_cover.data,
                "backfill_reason": self.backfill_reason.data}



def _kept_cover(purpose):
    """The cover chosen now, or the one kept from the form's previous round (kept_uploads)."""
    return KeptUploads.from_request(g.user, purpose, "cover", check=services.check_image,
                                    single=True)


class ActionForm(FlaskForm):
    note = TextAreaField(_l("Ý kiến"), validators=[Optional()])
    version = HiddenField()


class NewsView(BaseView):
    route_base = "/news"
    class_permission_name = "News"
    method_permission_name = method_permissions(read=("list", "show", "image"),
                                                write=("new", "edit", "act", "upload"))
    default_view = "list"

    def _item_or_404(self, news_id):
        return or_404(get_visible(db.session, g.user, news_id))

    # -- the list
    @expose("/")
    @has_access
    def list(self):
        box = request.args.get("box") or "portal"
        try:
            query = services.box_query(g.user, box)
        except DomainError:
            abort(404)
        category_id = request.args.get("category", type=int)
        if category_id:
            query = query.where(NewsItem.category_id == category_id)
        # the tabs' counts and the list's, in one statement
        boxes, total = services.list_counts(db.session, g.user, box,
                                            query if category_id else None)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(request.args.get("page", 1, type=int), 1), pages)
        items = db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
                                   .options(*services.shown_in_list(box)))
        return self.render_template(
            "news/list.html", title=_("Tin tức"), items=list(items), box=box,
            boxes=boxes, page=page, pages=pages,
            total=total, category_id=category_id,
            categories=services.categories(db.session), can_write=writes_news(g.user))

    # -- the item page
    def _render_show(self, item, errors=None, failed_action=None, status=200):
        return self.render_template(
            "news/show.html", item=item, title=item.title, body=Markup(clean_html(item.body)),
            actions=workflow.available_actions(g.user, item),
            can_edit=workflow.allowed(g.user, item, "edit"), action_form=ActionForm(),
            errors=errors or {}, failed_action=failed_action,
            typed_note=request.form.get("note", ""), states=STATES,
            event_labels=workflow.EVENT_LABELS, clean_html=clean_html), status

    @expose("/<int:news_id>")
    @has_access
    def show(self, news_id):
        return self._render_show(self._item_or_404(news_id))

    @expose("/<int:news_id>/do/<action>", methods=["POST"])
    @has_access
    def act(self, news_id, action):
        item = self._item_or_404(news_id)
        form = posted_action(action, workflow.ACTIONS, ActionForm())
        try:
            services.act(db.session, g.user, item, action, note=form.note.data,
                         version=form.version.data)
        except services.FormErrors as error:
            db.session.rollback()
            return self._render_show(self._item_or_404(news_id), error.errors, action, 422)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for(".show", news_id=news_id))
        flash(_("Đã ghi nhận."), "success")
        if get_visible(db.session, g.user, news_id) is None:
            return redirect(url_for(".list"))
        return redirect(url_for(".show", news_id=news_id))

    # -- the form
    def _render_form(self, form, item=None, errors=None, status=200, kept=None):
        errors = kept.keep(errors) if kept is not None else errors  # the cover chosen: kept
        return self.render_template(
            "news/form.html", form=form, item=item, errors=errors or {}, kept=kept,
            title=_("Sửa tin") if item else _("Viết tin"), accept_images=ACCEPT_IMAGES,
            title_max=TITLE_MAX, summary_max=SUMMARY_MAX,
            body_html=Markup(clean_html(form.body.data))), status

    def _save(self, form, kept, item=None):
        """Validate and save; the form again with every message if anything is wrong."""
        errors = {} if form.validate() else {k: list(v) for k, v in form.errors.items()}
        data = form.data_for_service()
        try:
            if errors or kept.errors:  # typing errors (a date): the rules' messages too
                services.validate(db.session, g.user, data, item)
                raise services.FormErrors({})
            if item is None:
                item = services.create_news(db.session, g.user, data, kept.upload)
            else:
                services.update_news(db.session, g.user, item, data, form.version.data,
                                     kept.upload)
        except services.FormErrors as error:
            db.session.rollback()
            for name, messages in error.errors.items():
                errors.setdefault(name, list(messages))
            return None, errors
        except DomainError as error:
            db.session.rollback()
            return None, {"form": [str(error)]}
        return item, None

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        form = NewsForm().load_choices(db.session)
        if request.method == "GET":
            return self._render_form(form)
        kept = _kept_cover("news")
        item, errors = self._save(form, kept)
        if errors:
            return self._render_form(form, errors=errors, status=422, kept=kept)
        kept.done()
        flash(_("Đã lưu tin (nháp)."), "success")
        return redirect(url_for(".show", news_id=item.id))

    @expose("/<int:news_id>/edit", methods=["GET", "POST"])
    @has_access
    def edit(self, news_id):
        item = self._item_or_404(news_id)
        if not workflow.allowed(g.user, item, "edit"):
            flash(str(services.NOT_NOW), "danger")
            return redirect(url_for(".show", news_id=news_id))
        form = NewsForm().load_choices(db.session, item)
        if request.method == "GET":
            form.fill_from(item)
            return self._render_form(form, item)
        kept = _kept_cover(f"news:{item.id}")
        saved, errors = self._save(form, kept, item)
        if errors:
            return self._render_form(form, self._item_or_404(news_id), errors, 422, kept)
        kept.done()
        flash(_("Đã lưu."), "success")
        return redirect(url_for(".show", news_id=saved.id))

    # -- images
    @expose("/image/upload", methods=["POST"])
    @has_access
    def upload(self):
        """An image for the body editor (multipart `file`): JSON {id, url} or {message}."""
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return jsonify(message=_("Chưa chọn ảnh.")), 422
        try:
            image = services.upload_image(db.session, g.user, upload.read(), upload.filename)
        except DomainError as error:
            db.session.rollback()
            return jsonify(message=str(error)), 422
        return jsonify(id=image.id, url=image.url), 201

    @expose("/image/<int:image_id>")
    @has_access
    def image(self, image_id):
        return send_image(get_visible_image(db.session, g.user, image_id))


def register_views(appbuilder):
    """Add the news pages, the API and the menu entries."""
    from app.news.api import NewsApi

    appbuilder.add_api(NewsApi)
    appbuilder.add_view_no_menu(NewsView)
    appbuilder.add_link("NewsList", href="/news/", label=_l("Tin tức"), icon="fa-newspaper",
                        category="Portal", category_label=_l("Lịch và tin tức"),
                        category_icon="fa-calendar")  # the category app.schedules opens
    appbuilder.add_link("NewsNew", href="/news/new", label=_l("Viết tin"), icon="fa-pen",
                        category="Portal")
