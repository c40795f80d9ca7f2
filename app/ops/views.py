"""The administrator's page "Sao lưu dữ liệu" (menu Security → Backups, permission class
"Backup"): the last backup, the archives, a warning when the newest is old or the last run
failed, and "Sao lưu ngay"."""
import threading
from datetime import timedelta

from flask import abort, current_app, flash, redirect, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.downloads import send_download
from app.core.timefmt import WEEKDAYS, format_datetime
from app.ops import backup as ops

WAIT_SECONDS = 20  # "Sao lưu ngay" waits this long for the result, then lets it run on


class BackupView(BaseView):
    route_base = "/backups"
    class_permission_name = "Backup"
    method_permission_name = {"index": "read", "run": "write", "download": "read"}
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
        directory = ops.backup_dir(current_app.config)
        archive = next((a for a in ops.list_backups(directory) if a.name == name), None) \
            if ops.ARCHIVE_NAME.match(name or "") else None
        if archive is None:
            abort(404)
        return send_download(path=archive.path, filename=archive.name, object_type="backup",
                             mimetype="application/octet-stream")

    @expose("/run", methods=["POST"])
    @has_access
    def run(self):
        """Sao lưu ngay: in a thread (a large instance must not hold the request past the
        server's timeout); the page waits up to WAIT_SECONDS for the result."""
        app = current_app._get_current_object()
        outcome = {}

        def work():
            with app.app_context():
                try:
                    outcome["record"] = ops.run_backup(app, "web")
                except ops.BackupError as error:  # BackupBusy
                    outcome["error"] = str(error)
                except Exception as error:  # never a raw "[Errno 28] …" on the page
                    app.logger.exception("Backup now: %s", error)
                    outcome["error"] = ops.os_error_message(error, _("sao lưu")) \
                        if isinstance(error, OSError) else _(
                            "Sao lưu thất bại do một lỗi không lường trước; xem nhật ký máy chủ.")

        thread = threading.Thread(target=work, name="eoffice-backup-now", daemon=True)
        thread.start()
        thread.join(WAIT_SECONDS)
        record = outcome.get("record")
        if thread.is_alive():
            flash(_("Đang sao lưu; tải lại trang sau ít phút để xem kết quả."), "info")
        elif "error" in outcome:
            flash(outcome["error"], "warning")
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
