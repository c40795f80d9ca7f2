"""Refresh the catalogs: extract our strings and Flask-AppBuilder's, update vi and en.

Our source strings are Vietnamese, FAB's are English. So in the vi catalog our strings are
their own translation (filled here) and FAB's need a Vietnamese one; in the en catalog it is the
other way round. Run: .venv/bin/python translations/update.py   (then translate what is empty)
"""
import subprocess
import sys
import tempfile
from pathlib import Path

import flask_appbuilder
import wtforms
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
FAB_DIR = Path(flask_appbuilder.__file__).parent
WTFORMS_POT = Path(wtforms.__file__).parent / "locale" / "wtforms.pot"
KEYWORDS = ["-k", "_l", "-k", "lazy_gettext", "-k", "__", "-k", "lazy_formatter_gettext"]
SOURCE_LOCALE = {"app": "vi", "fab": "en"}


def run(*args):
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True,
                   cwd=ROOT)


FAB_MARK = "Flask-AppBuilder"
WTFORMS_MARK = "WTForms"


def origin(message) -> str:
    """'fab' for the libraries' English strings (FAB, WTForms), 'app' for ours."""
    return "fab" if {FAB_MARK, WTFORMS_MARK} & set(message.auto_comments) else "app"


def extract_template(pot: Path):
    """Our strings (with locations) plus FAB's (marked, without machine-specific paths)."""
    with tempfile.TemporaryDirectory() as tmp:
        fab_pot = Path(tmp) / "fab.pot"
        run("extract", "-F", "babel.cfg", *KEYWORDS, "--no-location", "-o", str(fab_pot),
            str(FAB_DIR))
        run("extract", "-F", "babel.cfg", *KEYWORDS, "--sort-by-file", "--project", "eoffice",
            "-o", str(pot), "app")
        with fab_pot.open("rb") as f:
            fab = read_po(f)
    with WTFORMS_POT.open("rb") as f:
        wtf = read_po(f)
    with pot.open("rb") as f:
        catalog = read_po(f)
    for mark, library in ((FAB_MARK, fab), (WTFORMS_MARK, wtf)):
        for message in library:
            if not message.id:
                continue
            if message.id in catalog:  # a library string we reuse: English at the source
                catalog[message.id].auto_comments.append(mark)
            else:
                catalog.add(message.id, auto_comments=[mark], flags=message.flags,
                            context=message.context)
    with pot.open("wb") as f:
        write_po(f, catalog, width=0)


def main():
    pot = TRANSLATIONS / "messages.pot"
    extract_template(pot)
    for locale in ("vi", "en"):
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        command = "update" if po.exists() else "init"
        extra = ["--no-fuzzy-matching", "--ignore-obsolete"] if command == "update" else []
        run(command, "-i", str(pot), "-d", str(TRANSLATIONS), "-l", locale, "--no-wrap", *extra)
        with po.open("rb") as f:
            catalog = read_po(f, locale=locale)
        for message in catalog:
            if message.id and not message.string and SOURCE_LOCALE[origin(message)] == locale:
                message.string = message.id  # the source text is already in this language
        with po.open("wb") as f:
            write_po(f, catalog, width=0)


if __name__ == "__main__":
    main()
