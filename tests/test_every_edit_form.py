"""Every edit form of the security panel and of the catalogs, opened and saved as it is (what
an administrator or the clerk does when they look a record over and press «Lưu»): it is saved,
with «Đã cập nhật», and the record reads as it did. Renaming a unit used to fail with «Lỗi cơ
sở dữ liệu»: the dashboards' people stamp (app.stats.stamps) looked for a person's attributes
on a unit."""
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from dossier_helpers import make_draft, register_incoming
from tests.conftest import pdf, user


class EditForm(HTMLParser):
    """The fields the page's form submits, as a browser would."""

    def __init__(self, html):
        super().__init__()
        self.fields, self.inside, self.select, self.textarea = [], False, None, None
        self.done = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "model_form":  # FAB's record form, always
            self.fields, self.inside = [], True
        elif tag == "form":  # else the page's first form, not the menu's «Đăng xuất»
            self.inside = (attrs.get("method") or "").lower() == "post" and \
                attrs.get("action") != "/logout/" and not self.done
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.fields.append((name, attrs.get("value") or "on"))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self.fields.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.fields.append((self.select, attrs.get("value") or ""))
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            # as a browser reads it (line ends as LF, the newline right after the tag
            # dropped) and sends it back (line ends as CRLF)
            text = self.textarea[1].replace("\r\n", "\n")
            text = text[1:] if text.startswith("\n") else text
            self.fields.append((self.textarea[0], text.replace("\n", "\r\n")))
            self.textarea = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True

    def values(self):
        """The fields without the CSRF token (new on each page)."""
        return sorted((name, value) for name, value in self.fields if name != "csrf_token")


# What each person keeps in these forms (README, Roles): the administrator the security
# panel and the organisation, the clerk the catalogs and the dossier plan.
EDITED_BY = {
    "quantri": ["/users", "/roles", "/groups", "/departmentview", "/positionview"],
    "vanthu": ["/dossierplan", "/documenttypeview", "/registerview", "/agencyview", "/fieldview",
               "/signerview", "/urgencylevelview", "/secrecylevelview", "/retentionperiodview",
               "/meetingroomview", "/newscategoryview", "/exchangepartnerview"],
}


def edit_views(app):
    return {view.route_base: view for view in app.appbuilder.baseviews
            if getattr(view, "datamodel", None) is not None and hasattr(view, "edit")}


def first_id(session, view):
    """The id of the view's first record; the demo has none of FAB's user groups: one is
    added (as the administrator would) so that their form is tried too."""
    model = view.datamodel.obj
    pk = session.scalar(select(model.id).order_by(model.id))
    if pk is None and view.route_base == "/groups":
        session.add(model(name="Tổ rà soát biểu mẫu", label="Tổ rà soát"))
        session.commit()
        pk = session.scalar(select(model.id).order_by(model.id))
    return pk


def test_the_list_of_edit_forms_is_every_one_a_person_keeps(app, login_as, db_session):
    """The forms below are all those the administrator and the clerk may open (none left
    out of the sweep as the application grows)."""
    views = edit_views(app)
    ids = {base: first_id(db_session, view) for base, view in views.items()}
    for username, kept in EDITED_BY.items():
        client = login_as(username)
        opened = {base for base in views if ids[base] is not None
                  and client.get(f"{base}/edit/{ids[base]}").status_code == 200}
        assert opened == set(kept), username


@pytest.mark.parametrize("username, base", [(username, base) for username, bases in
                                            EDITED_BY.items() for base in bases])
def test_an_edit_form_saved_as_it_is_is_saved_and_changes_nothing(
        app, login_as, db_session, username, base):
    pk = first_id(db_session, edit_views(app)[base])
    client = login_as(username)
    url = f"{base}/edit/{pk}"
    before = EditForm(client.get(url).get_data(as_text=True))
    assert before.values(), url  # the form has fields
    saved = client.post(url, data=MultiDict(before.fields), follow_redirects=True)
    html = saved.get_data(as_text=True)
    assert saved.status_code == 200
    assert "Lỗi cơ sở dữ liệu" not in html
    assert "Đã cập nhật" in html, re.findall(r'help-block[^>]*>([^<]+)<', html)
    after = EditForm(client.get(url).get_data(as_text=True))
    assert after.values() == before.values()


def editable(client, session, model, pattern, first=300):
    """The edit page of the first record of `model` (the demo's, not another test's) that
    the person may edit (its page opens), or None."""
    ids = session.scalars(select(model.id).order_by(model.id).limit(first)).all()
    return next((pattern % pk for pk in ids if client.get(pattern % pk).status_code == 200),
                None)


def work_forms():
    from app.documents.models import IncomingDocument
    from app.dossiers.models import Dossier
    from app.news.models import NewsItem
    from app.outgoing.models import Draft
    from app.schedules.models import ScheduleItem

    return [("vanthu", IncomingDocument, "/incoming/%d/edit"),
            ("chuyenvien", Draft, "/drafts/%d/edit"),
            ("chuyenvien", Dossier, "/dossiers/%d/edit"),
            ("vanthu", NewsItem, "/news/%d/edit"),
            ("chuyenvien", NewsItem, "/news/%d/edit"),
            ("lanhdaovp", ScheduleItem, "/schedule/item/%d/edit"),
            ("chuyenvien", None, "/userinfoeditview/form")]


@pytest.mark.parametrize("case", range(7))
def test_a_work_form_saved_as_it_is_is_saved_and_changes_nothing(
        app, login_as, db_session, case):
    """The forms of the daily work — a registered document, a draft, a dossier, a news item,
    a schedule entry, one's own profile — opened by the person who may change them and saved
    as they are: saved (a success message, no error), and they read as they did (a news
    item's version moves: it was saved)."""
    username, model, pattern = work_forms()[case]
    client = login_as(username)
    if pattern.startswith("/drafts/"):  # the officer's own draft, being written
        url = pattern % make_draft(app, db_session, username, [(pdf(), "du-thao.pdf")]).id
    elif pattern.startswith("/incoming/"):  # a document the clerk has just registered
        url = pattern % register_incoming(app, db_session).id
        db_session.commit()
    else:
        url = pattern if model is None else editable(client, db_session, model, pattern)
    assert url is not None, f"the demo has a record {username} may edit: {pattern}"
    before = EditForm(client.get(url).get_data(as_text=True))
    assert before.values(), url
    saved = client.post(url, data=MultiDict(before.fields), follow_redirects=True)
    html = saved.get_data(as_text=True)
    assert saved.status_code == 200
    assert re.search("alert-(success|info)", html) and "alert-danger" not in html, \
        re.findall(r'alert-danger[^>]*>(.*?)</div>', html, re.S)
    after = EditForm(client.get(url).get_data(as_text=True))
    assert [field for field in after.values() if field[0] != "version"] == \
        [field for field in before.values() if field[0] != "version"]


def test_a_draft_the_officer_may_not_change_sends_them_to_it_not_to_a_form(
        app, login_as, db_session):
    """A draft past drafting (or someone else's): its edit page is not a form that would be
    refused once filled in, but the draft, with why."""
    from app.outgoing import workflow
    from app.outgoing.models import Draft

    officer = user(db_session, "chuyenvien")
    visible = db_session.scalars(select(Draft).order_by(Draft.id.desc())).all()
    draft = next(draft for draft in visible if not workflow.allowed(officer, draft, "edit")
                 and login_as("chuyenvien").get(f"/drafts/{draft.id}").status_code == 200)
    client = login_as("chuyenvien")
    response = client.get(f"/drafts/{draft.id}/edit")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/drafts/{draft.id}")
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Chỉ người soạn thảo sửa được dự thảo khi đang soạn thảo." in shown
