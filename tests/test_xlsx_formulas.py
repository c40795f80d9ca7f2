"""Spreadsheet exports write what people typed as text, never as a formula: an excerpt (or a
title, a schedule's content, an audit summary) `=HYPERLINK("http://x","y")` comes out of every
export route as a string cell that shows exactly that text (CSV/formula injection)."""
import io

from openpyxl import load_workbook

from app.audit.services import record
from app.core.timefmt import today_local
from app.core.xlsx import append_row, csv_text
from tests.conftest import login
from tests.dossier_helpers import make_outgoing, new_dossier, register_incoming
from tests.incoming_helpers import ids
from tests.test_schedules import publish_agency_week, week_ahead

FORMULA = '=HYPERLINK("http://x","y")'


def formula_cells(response):
    assert response.status_code == 200, response.status_code
    assert response.mimetype.endswith("spreadsheetml.sheet")
    cells = [cell for sheet in load_workbook(io.BytesIO(response.data)).worksheets
             for row in sheet.iter_rows() for cell in row
             if isinstance(cell.value, str) and "HYPERLINK" in cell.value]
    assert cells, "the typed text is not in the export"
    return cells


def assert_text(response, expected=FORMULA):
    cells = formula_cells(response)
    assert any(cell.value == expected for cell in cells), [c.value for c in cells]
    assert all(cell.data_type == "s" for cell in cells), [(c.value, c.data_type) for c in cells]


def test_incoming_registers_write_an_excerpt_formula_as_text(app, client, db_session):
    register_incoming(app, db_session, excerpt=FORMULA, notes=FORMULA)
    db_session.commit()
    login(client, "vanthu")
    register_id = ids(db_session)["register"]
    for kind in ("incoming", "tracking"):
        assert_text(client.get(f"/incoming/book?register_id={register_id}&kind={kind}"
                               "&format=xlsx"))


def test_outgoing_register_writes_an_excerpt_formula_as_text(app, client, db_session):
    document = make_outgoing(app, db_session, "chuyenvien")
    document.excerpt = FORMULA
    document.notes = FORMULA
    db_session.commit()
    login(client, "vanthu")
    assert_text(client.get(f"/outgoing/book?register_id={document.register_id}&format=xlsx"))


def test_stats_report_writes_a_dossier_title_formula_as_text(app, client, db_session):
    new_dossier(app, db_session, title=FORMULA)
    db_session.commit()
    login(client, "lanhdao")
    assert_text(client.get(f"/stats/reports/?kind=dossiers&from=01/01/{today_local().year}"
                           "&format=xlsx"))


def test_schedule_export_writes_a_content_formula_as_text(client, db_session):
    year, week = week_ahead(31)
    publish_agency_week(client, db_session, year, week, FORMULA)
    assert_text(client.get(f"/schedule/export?scope=agency&year={year}&week={week}"))


def test_audit_export_writes_a_summary_formula_as_text(app, client, db_session):
    with app.test_request_context():
        record(db_session, "update", object_type="meeting_room", object_id="0", summary=FORMULA)
    db_session.commit()
    login(client, "quantri")
    assert_text(client.get("/audit/export"))


def test_every_formula_start_is_kept_as_text():
    from openpyxl import Workbook

    for write_only in (False, True):
        workbook = Workbook(write_only=write_only)
        sheet = workbook.create_sheet("x") if write_only else workbook.active
        values = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "a\x01b", 5]
        append_row(sheet, values)
        buffer = io.BytesIO()
        workbook.save(buffer)
        row = next(load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0].iter_rows())
        # (openpyxl writes a carriage return as _x000D_; read with lxml, a dependency since
        # the XML-DSig of edXML packages, it comes back as written)
        assert [cell.value for cell in row] == values[:6] + ["ab", 5]
        assert [cell.data_type for cell in row] == ["s"] * 7 + ["n"]
    assert csv_text("=1+1") == "'=1+1" and csv_text("V/v") == "V/v" and csv_text(5) == 5
