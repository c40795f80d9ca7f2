"""REST API /api/v1/news/: the same services, rules and visibility as the web pages
(an item nobody showed you is 404, whatever its state)."""
from flask import request
from flask_appbuilder.api import expose
from flask_babel import gettext as _

from app.core import dates
from app.core.api import (
    NOT_AN_OBJECT, STATE, DomainApi, actions, guarded, history, json_fields, listing, person,
    text_field,
)
from app.core.timefmt import format_datetime
from app.extensions import db
from app.news import services, workflow
from app.news.access import get_visible, get_visible_image
from app.news.images import send_image
from app.news.models import STATES, NewsItem

FIELDS = ("title", "summary", "body", "category_id", "featured", "publish_at",
          "cover_image_id", "remove_cover", "backfill_reason")
def parse_datetime(value):
    """Vietnam time as yyyy-mm-ddTHH:MM or dd/mm/yyyy HH:MM."""
    return dates.parse_datetime(value, "publish_at", message=_(
        "Ngày giờ không hợp lệ: dùng yyyy-mm-ddTHH:MM hoặc dd/mm/yyyy HH:mm."))


def data_from_body(body) -> dict:
    if not isinstance(body, dict):
        raise services.FormErrors({"body": [NOT_AN_OBJECT]})
    data = {key: body.get(key) for key in FIELDS}
    for key in ("title", "summary", "body"):
        if data[key] is not None and not isinstance(data[key], str):
            raise services.FormErrors({key: [_("Phải là chuỗi ký tự.")]})
    data["publish_at"] = parse_datetime(data["publish_at"])
    return data


def serialize(item, user=None, full=False) -> dict:
    result = {
        "id": item.id,
        "state": item.state,
        "state_label": str(item.state_label),
        "title": item.title,
        "summary": item.summary,
        "category": {"id": item.category.id, "name": item.category.name},
        "featured": item.featured,
        "cover_url": item.cover_image.url if item.cover_image else None,
        "author": person(item.author),
        "department": {"id": item.department.id, "name": item.department.name},
        "publish_at": format_datetime(item.publish_at),
        "published_at": format_datetime(item.published_at),
        "backfill_reason": item.backfill_reason,
        "entered_at": format_datetime(item.created_at),
        "url": f"/news/{item.id}",
    }
    if full:
        result.update({
            "body": item.body,
            "version": item.version,
            "return_comment": item.return_comment,
            "history": history(item.events, workflow.EVENT_LABELS),
            "revisions": [{"id": r.id, "at": format_datetime(r.at), "editor": person(r.editor),
                           "title": r.title, "summary": r.summary, "body": r.body}
                          for r in item.revisions],
            "actions": actions(workflow.available_actions(user, item)),
            "can_edit": workflow.allowed(user, item, "edit"),
        })
    return result


class NewsApi(DomainApi):
    resource_name = "news"
    class_permission_name = "News"
    method_permission_name = {
        "get_list": "read", "get": "read", "image": "read",
        "post": "write", "put": "write", "action": "write", "upload": "write",
    }
    openapi_spec_tag = "Tin tức"
    visible_record = staticmethod(get_visible)

    @expose("/", methods=["GET"])
    @guarded("get")
    @listing("Visible news items, newest first.",
             "{in: query, name: box, schema: {type: string}, description: portal, todo, mine, all}",
             STATE, "{in: query, name: category_id, schema: {type: integer}}",
             returns="news items")
    def get_list(self):
        args, user = request.args, self.caller()
        with self.bad_filters():
            query = services.box_query(user, args.get("box") or "all").order_by(None)
        query = self.filtered(query, state=NewsItem.state, states=STATES)
        if args.get("category_id", type=int):
            query = query.where(NewsItem.category_id == args.get("category_id", type=int))
        return self.page(query, NewsItem, serialize)

    @expose("/<int:pk>", methods=["GET"])
    @guarded("get")
    def get(self, pk):
        return self.response(200, result=serialize(self.visible(pk), self.caller(), full=True))

    @expose("/", methods=["POST"])
    @guarded("post")
    def post(self):
        """Write a news item (a draft): JSON {title, summary, body (HTML, sanitised),
        category_id, featured, publish_at, cover_image_id (from POST /images)}."""
        user = self.caller()
        with self.refusals():
            item = services.create_news(db.session, user,
                                        data_from_body(request.get_json(silent=True)))
        return self.response(201, id=item.id, result=serialize(item, user, full=True))

    @expose("/<int:pk>", methods=["PUT"])
    @guarded("put")
    def put(self, pk):
        """Edit: the whole item as in POST, plus the `version` read with GET."""
        item = self.visible(pk)
        user, body = self.caller(), request.get_json(silent=True)
        with self.refusals():
            services.update_news(db.session, user, item, data_from_body(body),
                                 version=body.get("version"))
        return self.response(200, result=serialize(item, user, full=True))

    @expose("/<int:pk>/actions/<action>", methods=["POST"])
    @guarded("action")
    def action(self, pk, action):
        """submit, submit_up, forward, publish, return {note}, unpublish {note}; `version`
        optional (refused if the item changed since)."""
        item = self.visible(pk)
        if action not in workflow.ACTIONS:
            return self.response_404()
        body, user = json_fields(), self.caller()
        with self.refusals():
            services.act(db.session, user, item, action, note=text_field(body),
                         version=body.get("version"))
        item = get_visible(db.session, user, pk)
        return self.response(200, result=serialize(item, user, full=True) if item else None)

    @expose("/images", methods=["POST"])
    @guarded("upload")
    def upload(self):
        """Upload an image (multipart, field `file`; JPEG or PNG): {id, url}."""
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self.response_400(message=_("Chưa chọn ảnh."))
        with self.refusals():
            image = services.upload_image(db.session, self.caller(), upload.read(),
                                          upload.filename)
        return self.response(201, id=image.id, url=image.url)

    @expose("/images/<int:image_id>", methods=["GET"])
    @guarded("get")
    def image(self, image_id):
        return send_image(self.found(get_visible_image(db.session, self.caller(), image_id)))
