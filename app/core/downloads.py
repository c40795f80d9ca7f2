"""The one way a file leaves the application: `send_download(...)`.

Every download and export route (stored files, stamped copies, generated PDFs, registers and
reports as .xlsx, the audit export, import templates, edXML packages, backups; web and REST)
returns through it, so that each one writes exactly one "download" line in the audit trail
(ASVS 7.2.1/7.1.3: who took which file of which record, when, from where) and no route can
forget it. tests/test_downloads_audited.py walks the URL map and fails on a route that serves a
file without it.

"A GET never writes" is the house rule; this audit line is its one accepted exception. It is
written here in a small transaction of its own (a separate session), so the request's own
session is neither committed nor flushed by a download.
"""
from pathlib import Path

from flask import Response, abort, has_request_context, jsonify, request, send_file
from flask_babel import gettext as _

from app.core.files import content_disposition

def view_requested() -> bool:
    """`?view=1` on a file's route: the file is asked for the viewer in the page
    (templates/_pdf_viewer.html), not to be saved. The same route, so the same visibility; the
    audit line then says "Xem tệp" ("view_file") rather than "Tải tệp"."""
    return has_request_context() and request.args.get("view") == "1"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def file_missing() -> Response:
    """A row whose file is gone from the disk: 404, never a 500. On the REST API a JSON
    response with a Vietnamese message is *returned* (FAB's @safe turns anything raised into
    a 500); on the web the error page is raised. Use as `return file_missing()`."""
    if is_api_request():
        response = jsonify(message=_("Tệp không còn trên máy chủ (đã bị xóa hoặc chưa được "
                                     "khôi phục). Hãy báo quản trị mạng."))
        response.status_code = 404
        return response
    abort(404)


# Who writes the "download" line: app.audit.services sets it when it is imported (app.models
# imports it before anything runs), so that the kernel names no package above it.
_download_recorder = None


def set_download_recorder(recorder) -> None:
    """`recorder(object_type, object_id, filename, action)` writes one line, action "download"
    or "view_file" (read in the page's viewer)."""
    global _download_recorder
    _download_recorder = recorder


def audit_download(object_type, object_id, filename, action="download") -> None:
    """One "download" (or "view_file") line, committed in its own short transaction (see the
    module's note)."""
    if _download_recorder is None:  # never serve a file unaudited
        raise RuntimeError("No audit recorder for downloads: import app.models first.")
    _download_recorder(object_type, object_id, filename, action)


def send_download(*, filename: str, object_type: str, object_id=None, path=None, data=None,
                  mimetype: str = "application/octet-stream", inline: bool = False,
                  view: bool = False, max_age: int | None = None) -> Response:
    """Serve `path` (a stored file) or `data` (bytes, or an iterable of bytes for a streamed
    export) as `filename`, after writing the audit line. A missing stored file is a 404.
    `view`: for the viewer in the page (`view_requested()`): inline, audited as "view_file"."""
    if (path is None) == (data is None):
        raise TypeError("send_download needs exactly one of path and data")
    if path is not None and not Path(path).is_file():
        return file_missing()
    audit_download(object_type, object_id, filename, "view_file" if view else "download")
    if path is not None:
        response = send_file(path, mimetype=mimetype, max_age=max_age)
    else:
        response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename, inline=inline or view)
    response.audited_download = True  # what the tests (and a reader) look for
    return response
