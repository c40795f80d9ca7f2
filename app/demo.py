"""Demo data for `make run`: a Sở-style agency, its units, about twenty people across the six
roles, and one well-known account per role. Idempotent: what exists is left alone."""
import os
import secrets
from pathlib import Path

import click

from app.catalogs.models import Field, Signer
from app.catalogs.seed import seed_catalogs
from app.extensions import db
from app.org.models import Department, EofficeUser, Position
from app.security import roles as r

AGENCY = ("Sở Nội vụ tỉnh Hà Nam", "SNV")
UNITS = [
    ("Văn phòng Sở", "VP"),
    ("Phòng Tổ chức, biên chế và tổ chức phi chính phủ", "TCBC"),
    ("Phòng Cải cách hành chính", "CCHC"),
    ("Phòng Xây dựng chính quyền và công tác thanh niên", "XDCQ"),
    ("Thanh tra Sở", "TTr"),
    ("Chi cục Văn thư – Lưu trữ", "VTLT"),
    ("Ban Thi đua – Khen thưởng", "TĐKT"),
]
# (name, is leader, can sign)
POSITIONS = [
    ("Giám đốc", True, True),
    ("Phó Giám đốc", True, True),
    ("Chánh Văn phòng", True, True),
    ("Phó Chánh Văn phòng", True, False),
    ("Trưởng phòng", True, False),
    ("Phó Trưởng phòng", True, False),
    ("Chuyên viên", False, False),
    ("Văn thư", False, False),
]
# (username, last name, first name, role, unit code, position, field codes)
# The first six are the documented demo accounts, one per role, in the order of the roles.
PEOPLE = [
    ("quantri", "Nguyễn Văn", "Hùng", r.ADMIN, "VP", "Chuyên viên", []),
    ("lanhdao", "Trần Quốc", "Đạt", r.AGENCY_LEADER, "SNV", "Giám đốc", []),
    ("lanhdaovp", "Lê Thị", "Hòa", r.OFFICE_LEADER, "VP", "Chánh Văn phòng", ["VTLT", "TDKT"]),
    ("truongphong", "Phạm Minh", "Đức", r.UNIT_LEADER, "CCHC", "Trưởng phòng", ["CCHC"]),
    ("chuyenvien", "Hoàng Thị", "Thủy", r.OFFICER, "CCHC", "Chuyên viên", ["CCHC", "TCCB"]),
    ("vanthu", "Đỗ Thị", "Lan", r.CLERK, "VP", "Văn thư", []),
    ("pgd.thanh", "Vũ Đình", "Thành", r.AGENCY_LEADER, "SNV", "Phó Giám đốc", []),
    ("pgd.nga", "Bùi Thị", "Nga", r.AGENCY_LEADER, "SNV", "Phó Giám đốc", []),
    ("tp.tcbc", "Đặng Văn", "Long", r.UNIT_LEADER, "TCBC", "Trưởng phòng", ["TCCB"]),
    ("cv.tcbc1", "Ngô Thị", "Hạnh", r.OFFICER, "TCBC", "Chuyên viên", ["TCCB"]),
    ("cv.tcbc2", "Dương Văn", "Khải", r.OFFICER, "TCBC", "Chuyên viên", ["TCCB"]),
    ("tp.xdcq", "Lý Thị", "Mai", r.UNIT_LEADER, "XDCQ", "Trưởng phòng", ["TCCB"]),
    ("cv.xdcq", "Trịnh Văn", "Nam", r.OFFICER, "XDCQ", "Chuyên viên", ["TCCB"]),
    ("cv.cchc", "Phan Thị", "Oanh", r.OFFICER, "CCHC", "Chuyên viên", ["CCHC"]),
    ("chanh.thanhtra", "Hồ Văn", "Phúc", r.UNIT_LEADER, "TTr", "Trưởng phòng", ["TTKN"]),
    ("cv.thanhtra", "Mai Thị", "Quyên", r.OFFICER, "TTr", "Chuyên viên", ["TTKN"]),
    ("ccvtlt", "Tô Văn", "Sơn", r.UNIT_LEADER, "VTLT", "Trưởng phòng", ["VTLT"]),
    ("cv.vtlt", "Lương Thị", "Tâm", r.OFFICER, "VTLT", "Chuyên viên", ["VTLT"]),
    ("tdkt", "Kiều Văn", "Ước", r.UNIT_LEADER, "TĐKT", "Trưởng phòng", ["TDKT"]),
    ("vanthu2", "Chu Thị", "Vân", r.CLERK, "VP", "Văn thư", []),
    ("pcvp", "Quách Văn", "Xuân", r.OFFICE_LEADER, "VP", "Phó Chánh Văn phòng", ["TCNS"]),
]
DEMO_ACCOUNTS = [p[0] for p in PEOPLE[:6]]
# (username, signing authority, position as printed above the signature)
SIGNERS = [
    ("lanhdao", "", "Giám đốc"),
    ("pgd.thanh", "KT.", "Phó Giám đốc"),
    ("pgd.nga", "KT.", "Phó Giám đốc"),
    ("lanhdaovp", "TL.", "Chánh Văn phòng"),
]


def _departments(session):
    agency = session.query(Department).filter_by(code=AGENCY[1]).first()
    if agency is None:
        agency = Department(name=AGENCY[0], code=AGENCY[1], sort_order=0)
        session.add(agency)
    for order, (name, code) in enumerate(UNITS, start=1):
        if session.query(Department).filter_by(code=code).first() is None:
            session.add(Department(name=name, code=code, parent=agency, sort_order=order))
    for order, (name, leader, sign) in enumerate(POSITIONS, start=1):
        if session.query(Position).filter_by(name=name).first() is None:
            session.add(Position(name=name, is_leader=leader, can_sign=sign, sort_order=order))
    session.flush()


def _password_for(app, username):
    return app.config.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)


def _write_passwords(app, created):
    path = Path(app.config["INSTANCE_DIR"]) / "demo-passwords.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        for username, password in created:
            f.write(f"{username}\t{password}\n")
    os.chmod(path, 0o600)
    return path


def create_demo(app):
    session = db.session
    seed_catalogs(session)
    _departments(session)
    sm = app.appbuilder.sm
    created = []
    for username, last, first, role_name, unit, position, fields in PEOPLE:
        if sm.find_user(username=username):
            continue
        password = _password_for(app, username)
        user = sm.add_user(username=username, first_name=first, last_name=last,
                           email=f"{username}@snv.hanam.gov.vn",
                           role=sm.find_role(role_name), password=password)
        if not user:
            raise click.ClickException(f"Không tạo được tài khoản {username}")
        user = session.get(EofficeUser, user.id)
        user.department = session.query(Department).filter_by(code=unit).one()
        user.position = session.query(Position).filter_by(name=position).one()
        user.fields = session.query(Field).filter(Field.code.in_(fields)).all()
        created.append((username, password))
    for username, authority, title in SIGNERS:
        user = sm.find_user(username=username)
        if session.query(Signer).filter_by(user_id=user.id, authority=authority).first():
            continue
        session.add(Signer(full_name=user.full_name, position_title=title,
                           authority=authority, user_id=user.id))
    session.commit()
    if created and not app.config.get("DEMO_PASSWORD"):
        path = _write_passwords(app, created)
        click.echo("Mật khẩu các tài khoản mẫu (chỉ in một lần, đã lưu vào "
                   f"{path}, chỉ chủ sở hữu đọc được):")
        for username, password in created:
            if username in DEMO_ACCOUNTS:
                click.echo(f"  {username:12} {password}")
    elif created:
        click.echo(f"Đã tạo {len(created)} tài khoản mẫu với mật khẩu DEMO_PASSWORD.")

    from app.documents.demo import create_incoming_demo  # after the accounts exist

    create_incoming_demo(app)

    from app.outgoing.demo import create_outgoing_demo

    create_outgoing_demo(app)

    from app.request_forms.demo import create_request_demo

    create_request_demo(app)

    from app.dossiers.demo import create_dossier_demo

    create_dossier_demo(app)

    from app.stats.demo import create_usage_demo

    create_usage_demo(app)

    from app.schedules.demo import create_schedule_demo

    create_schedule_demo(app)

    from app.news.demo import create_news_demo

    create_news_demo(app)

    from app.exchange.demo import create_exchange_demo  # after the incoming and outgoing demos

    create_exchange_demo(app)
