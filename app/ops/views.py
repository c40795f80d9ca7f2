"""The administrator's page "Sao lưu dữ liệu" (menu Security → Backups, permission class
"Backup"): the last backup, the archives, a warning when the newest is old or the last run
failed, and "Sao lưu ngay"; a page per archive (its manifest, its last check, "Kiểm tra bản
sao lưu", the download, how to restore on the command line)."""
import os
import threading
from contextlib import nullcontext
from collections import OrderedDict
from datetime import timedelta

from flask import (abort, copy_current_request_context, current_app, flash, g, redirect,
                   url_for)
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.downloads import send_download
from app.core.timefmt import WEEKDAYS, format_datetime
from app.core.views import method_permissions
from app.ops import backup as ops

WAIT_SECONDS = 20  # "Sao lưu ngay" waits this long for the result, then lets it run on
FILES_SHOWN = 200  # the archive page lists this many of its files, and says how many in all

TRIGGERS = {"web": _l("nút «Sao lưu ngay» trên trang này"),
            "cli": _l("dòng lệnh (flask backup create)"),
            "schedule": _l("lịch sao lưu tự động hằng tuần")}

# Reading a manifest means reading the whole archive (it is the last member): the summaries
# of the last few archives looked at, by (path, size, mtime, key set), in this process.
_SUMMARIES: "OrderedDict[tuple, ops.ManifestSummary]" = OrderedDict()
_SUMMARIES_KEPT = 8
_summaries_lock = threading.Lock()


def _summary(path, key):
    try:
        stat = os.stat(path)
    except FileNotFoundError:  # pruned since the listing
        abort(404)
    cache_key = (str(path), stat.st_size, stat.st_mtime_ns, key)
    with _summaries_lock:
        if cache_key in _SUMMARIES:
            _SUMMARIES.move_to_end(cache_key)
            return _SUMMARIES[cache_key]
    summary = ops.read_manifest(path, key=key, limit=FILES_SHOWN)
    if summary.head is not None or summary.problems and not summary.encrypted:
        with _summaries_lock:  # not "no key" answers: setting the key must show it
            _SUMMARIES[cache_key] = summary
            while len(_SUMMARIES) > _SUMMARIES_KEPT:
                _SUMMARIES.popitem(last=False)
    return summary


def _archive_or_404(name):
    """An archive of BACKUP_DIR by its name in the list; never a path."""
    directory = ops.backup_dir(current_app.config)
    archive = next((a for a in ops.list_backups(directory) if a.name == name), None) \
        if ops.ARCHIVE_NAME.match(name or "") else None
    if archive is None:
        abort(404)
    return directory, archive


def _in_background(name, step, job, app=None):
    """Run job() in a thread (a large archive must not hold the request past the server's
    timeout) and wait up to WAIT_SECONDS: (done, result, Vietnamese error or None). `app`: run
    inside its context (a job that does not carry the request's own)."""
    outcome = {}
    logger = current_app.logger

    def work():
        try:
            with app.app_context() if app is not None else nullcontext():
                outcome["result"] = job()
        except ops.BackupError as error:  # busy; no key, another key, a wrong key setting
            outcome["error"] = str(error)
        except Exception as error:  # never a raw "[Errno 28] …" on the page
            logger.exception("%s: %s", name, error)
            outcome["error"] = ops.os_error_message(error, step) \
                if isinstance(error, OSError) else _(
                    "Việc %(step)s thất bại do một lỗi không lường trước; xem nhật ký máy chủ.",
                    step=step)

    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    thread.join(WAIT_SECONDS)
    return not thread.is_alive(), outcome.get("result"), outcome.get("error")


class BackupView(BaseView):
    route_base = "/backups"
    class_permission_name = "Backup"
    method_permission_name = method_permissions(read=("index", "download", "show"),
                                                write=("run", "verify"))
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        config = current_app.config
        directory = ops.backup_dir(config)
        archives = ops.list_backups(directory)
        last_run = ops.last_run(directory)
        now = ops.utc_now()
        newest = next((a for a in archives if a.verified is not False), None)
        warnings = []
        if newest is None:
            warnings.append(_("Chưa có bản sao lưu nào dùng được."))
        elif now - newest.created_at > ops.STALE_AFTER:
            warnings.append(_("Bản sao lưu mới nhất đã cũ hơn %(days)s ngày (%(date)s).",
                              days=ops.STALE_AFTER.days,
                              date=format_datetime(newest.created_at)))
        if last_run and last_run.get("result") != "ok":
            warnings.append(_("Lần sao lưu gần nhất (%(date)s) thất bại: %(error)s",
                              date=format_datetime(ops.parse_iso(last_run.get("started_at"))),
                              error=last_run.get("error") or ""))
        free = ops.free_space(directory)
        needed = max(newest.size if newest else 0, ops.LOW_SPACE)
        if free is not None and free < needed:
            warnings.append(_("Ổ đĩa chứa thư mục sao lưu chỉ còn trống %(free)s (cần ít nhất "
                              "%(needed)s): lần sao lưu tới sẽ thất bại. Hãy giải phóng dung "
                              "lượng hoặc đặt BACKUP_DIR sang ổ đĩa khác.",
                              free=ops.human_size(free), needed=ops.human_size(needed)))
        try:
            weekday, at = ops.schedule_settings(config)
            schedule = _("%(day)s hằng tuần, lúc %(time)s", day=WEEKDAYS[weekday],
                         time=at.strftime("%H:%M"))
            due = ops.is_due(now, weekday, at, *ops.last_times(directory))
            next_run = None if due else ops.last_slot(now, weekday, at) + timedelta(days=7)
        except ops.BackupError as error:
            schedule, next_run, due = str(error), None, False
        return self.render_template(
            "ops/backups.html", title=_("Sao lưu dữ liệu"), archives=archives, newest=newest,
            last_run=last_run, warnings=warnings, directory=directory, schedule=schedule,
            next_run=next_run, due=due, keep=config.get("BACKUP_KEEP"),
            scheduled=bool(config.get("BACKUP_SCHEDULE_ENABLED")) and not config.get("TESTING"),
            running=ops.is_running(directory), human_size=ops.human_size,
            encrypted=bool(config.get("BACKUP_ENCRYPTION_KEY")),
            parse_iso=ops.parse_iso)

    @expose("/download/<name>")
    @has_access
    def download(self, name):
        """One archive of BACKUP_DIR, as it is on the disk (encrypted when it was made with a
        key); only names of the list, never a path. In the audit trail like every download."""
        _directory, archive = _archive_or_404(name)
        return send_download(path=archive.path, filename=archive.name, object_type="backup",
                             mimetype="application/octet-stream")

    @expose("/<name>")
    @has_access
    def show(self, name):
        """One archive: its manifest (the first FILES_SHOWN files and how many in all), its
        last check, "Kiểm tra bản sao lưu", the download, the restore command. Reading only:
        a GET never verifies."""
        directory, archive = _archive_or_404(name)
        problem = None
        try:
            key = ops.encryption_key(current_app.config)
        except ops.BackupError as error:
            key, problem = None, str(error)
        summary = None if problem else _summary(archive.path, key)
        check = ops.read_status(directory).get("archives", {}).get(archive.name) or {}
        head = (summary.head if summary else None) or {}
        trigger = head.get("trigger")
        return self.render_template(
            "ops/backup_archive.html", title=_("Bản sao lưu %(name)s", name=archive.name),
            archive=archive, summary=summary, head=head, problem=problem, check=check,
            trigger=TRIGGERS.get(trigger, trigger), human_size=ops.human_size,
            parse_iso=ops.parse_iso, files_shown=FILES_SHOWN,
            encrypted=summary.encrypted if summary else ops.is_encrypted(archive.path))

    @expose("/verify/<name>", methods=["POST"])
    @has_access
    def verify(self, name):
        """"Kiểm tra bản sao lưu": verify_backup in a thread (a large archive takes time), the
        page waits up to WAIT_SECONDS; recorded for the list and in the audit trail."""
        _directory, archive = _archive_or_404(name)
        app = current_app._get_current_object()
        user = getattr(g, "user", None)
        actor = {"actor_id": getattr(user, "id", None),
                 "actor_name": getattr(user, "username", None)}
        done, verification, error = _in_background(
            "eoffice-backup-verify", _("kiểm tra bản sao lưu"),
            copy_current_request_context(  # the audit line gets the client's address
                lambda: ops.verify_and_record(app, archive.path, **actor)))
        if not done:
            flash(_("Đang kiểm tra %(name)s; tải lại trang sau ít phút để xem kết quả.",
                    name=archive.name), "info")
        elif error:
            flash(error, "warning")
        elif verification.ok:
            flash(_("Bản sao lưu %(name)s hợp lệ: mọi thành phần đúng mã kiểm tra, bản sao cơ "
                    "sở dữ liệu mở được.", name=archive.name), "success")
        else:
            flash(_("Bản sao lưu %(name)s KHÔNG hợp lệ: %(problems)s", name=archive.name,
                    problems=verification.message), "danger")
        return redirect(url_for(".show", name=archive.name))

    @expose("/run", methods=["POST"])
    @has_access
    def run(self):
        """Sao lưu ngay: in a thread (a large instance must not hold the request past the
        server's timeout); the page waits up to WAIT_SECONDS for the result."""
        app = current_app._get_current_object()
        user = getattr(getattr(g, "user", None), "username", None)
        done, record, error = _in_background(
            "eoffice-backup-now", _("sao lưu"), lambda: ops.run_backup(app, "web", user=user),
            app=app)
        if not done:
            flash(_("Đang sao lưu; tải lại trang sau ít phút để xem kết quả."), "info")
        elif error:
            flash(error, "warning")
        elif record and record["result"] == "ok":
            flash(_("Đã sao lưu và kiểm tra: %(name)s (%(size)s).",
                    name=record["path"].rsplit("/", 1)[-1],
                    size=ops.human_size(record["size"])), "success")
        else:
            flash(_("Sao lưu thất bại: %(error)s", error=(record or {}).get("error") or ""),
                  "danger")
        return redirect(url_for(".index"))


def register_views(appbuilder):
    """The page, in the security menu; the weekly schedule of a serving process (not in
    tests nor CLI commands: see ops.start_scheduler); the administrators' notice of a full
    disk (app.ops.alerts)."""
    from app.ops.alerts import init_alerts

    appbuilder.add_view(BackupView, "Backups", label=_l("Sao lưu dữ liệu"), icon="fa-database",
                        category="Security")
    init_alerts(current_app._get_current_object())
    ops.start_scheduler(current_app._get_current_object())
