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


class EditForm(HTMLParser):
    """The fields the page's edit form (FAB's `model_form`) submits, as a browser would."""

    def __init__(self, html):
        super().__init__()
        self.fields, self.inside, self.select, self.textarea = [], False, None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == "model_form"
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
        elif tag == "form":
            self.inside = False

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
