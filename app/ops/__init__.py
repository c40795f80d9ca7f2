"""Operations: backups that restore (Regulation Art. 10.2).

- `app.ops.backup`: create / verify / restore / list / prune an archive, the status file and the
  weekly schedule (a background thread, one runner at a time through a file lock);
- `app.ops.cli`: `flask backup create | list | verify PATH | restore PATH [--force]`;
- `app.ops.views`: the administrator's page "Sao lưu dữ liệu" (menu Security → Backups).

No table of its own: the history of runs lives in BACKUP_DIR/status.json next to the archives,
so that this module brings no migration and a restored database never carries stale records.
"""
