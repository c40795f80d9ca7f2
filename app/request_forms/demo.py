"""Demo request forms (phiếu yêu cầu) for `make run`: about twenty-five forms between the demo
people and units, in every state, some overdue, several addressed to `chuyenvien` and to
Phòng Cải cách hành chính. Each is sent and handled through app.request_forms.services as the
people would; then its timestamps are moved onto a plausible timeline in the past.

Idempotent: a form already there (same sender, same subject) is left alone."""
from datetime import datetime, time, timedelta

import click
from flask import current_app
from sqlalchemy import select

from app.core.pdf import make_demo_pdf
from app.core.timefmt import local_now, local_to_utc
from app.extensions import db
from app.org.models import Department, EofficeUser
from app.request_forms import services
from app.request_forms.models import RequestForm

# The leader who receives what is addressed to each unit.
UNIT_LEADERS = {"CCHC": "truongphong", "TCBC": "tp.tcbc", "XDCQ": "tp.xdcq", "VP": "lanhdaovp",
                "TTr": "chanh.thanhtra", "VTLT": "ccvtlt", "TĐKT": "tdkt"}

# (sender, addressee: "unit:<code>" or a username, subject, content, sent days ago,
#  deadline in days from today (negative: past), steps, with a PDF)
# Steps: ("forward", username) · ("accept", note) · ("complete", result) · ("refuse", reason) ·
#        ("withdraw", note).
REQUESTS = [
    ("truongphong", "chuyenvien", "Tổng hợp báo cáo cải cách hành chính quý IV",
     "Đề nghị đồng chí tổng hợp kết quả thực hiện nhiệm vụ cải cách hành chính quý IV của các "
     "phòng, đơn vị thuộc Sở, dự thảo báo cáo trình Lãnh đạo Sở.", 3, 6,
     [("accept", "Đã nhận, đang tổng hợp số liệu.")], True),
    ("lanhdaovp", "chuyenvien", "Cung cấp số liệu chỉ số cải cách hành chính (PAR INDEX) năm 2025",
     "Văn phòng Sở cần số liệu tự chấm điểm chỉ số PAR INDEX năm 2025 để hoàn thiện báo cáo "
     "tổng kết năm.", 12, -4, [], False),
    ("tp.tcbc", "chuyenvien", "Góp ý dự thảo Đề án vị trí việc làm",
     "Đề nghị góp ý dự thảo Đề án vị trí việc làm của Sở (gửi kèm), tập trung vào nhóm vị trí "
     "chuyên môn dùng chung.", 20, -10,
     [("accept", None), ("complete", "Đã góp ý bằng văn bản, gửi kèm bản thảo có đánh dấu "
                                    "sửa đổi.")], True),
    ("cv.tcbc1", "chuyenvien",
     "Phối hợp rà soát thủ tục hành chính lĩnh vực tổ chức, biên chế",
     "Đề nghị phối hợp rà soát, đề xuất đơn giản hóa các thủ tục hành chính lĩnh vực tổ chức, "
     "biên chế thuộc thẩm quyền giải quyết của Sở.", 2, 1, [], False),
    ("pgd.nga", "chuyenvien", "Chuẩn bị tài liệu họp giao ban cải cách hành chính",
     "Chuẩn bị tài liệu, số liệu phục vụ cuộc họp giao ban công tác cải cách hành chính do "
     "Phó Giám đốc chủ trì.", 9, -2, [("accept", "Đang chuẩn bị.")], False),
    ("tp.tcbc", "unit:CCHC", "Đề nghị cử cán bộ tham gia Tổ kiểm tra công vụ",
     "Đề nghị Phòng Cải cách hành chính cử 01 công chức tham gia Tổ kiểm tra công vụ năm "
     "2026 của Sở.", 1, 5, [], False),
    ("lanhdaovp", "unit:CCHC",
     "Báo cáo kết quả thực hiện cơ chế một cửa, một cửa liên thông 6 tháng",
     "Đề nghị Phòng báo cáo kết quả thực hiện cơ chế một cửa, một cửa liên thông 6 tháng đầu "
     "năm, gửi Văn phòng Sở tổng hợp.", 6, 4,
     [("forward", "chuyenvien"), ("accept", None)], True),
    ("tp.xdcq", "unit:CCHC",
     "Cung cấp danh sách thủ tục hành chính đủ điều kiện dịch vụ công trực tuyến toàn trình",
     "Đề nghị cung cấp danh sách thủ tục hành chính đủ điều kiện cung cấp dịch vụ công trực "
     "tuyến toàn trình thuộc lĩnh vực chính quyền địa phương.", 25, -15,
     [("forward", "cv.cchc"), ("accept", None),
      ("complete", "Đã gửi danh sách 12 thủ tục qua thư điện tử công vụ.")], False),
    ("chanh.thanhtra", "unit:CCHC",
     "Cung cấp hồ sơ kiểm tra cải cách hành chính tại UBND huyện Kim Bảng",
     "Đề nghị cung cấp biên bản và báo cáo kết quả kiểm tra cải cách hành chính tại UBND "
     "huyện Kim Bảng năm 2025.", 15, -8,
     [("refuse", "Hồ sơ đã chuyển Chi cục Văn thư – Lưu trữ; đề nghị liên hệ Chi cục.")], False),
    ("ccvtlt", "unit:CCHC", "Phối hợp số hóa hồ sơ thủ tục hành chính",
     "Đề nghị phối hợp xây dựng danh mục hồ sơ thủ tục hành chính cần số hóa năm 2026.", 14, -3,
     [("forward", "cv.cchc")], False),
    ("cv.vtlt", "unit:CCHC", "Đề nghị cung cấp danh mục hồ sơ năm 2026 của Phòng",
     "Đề nghị Phòng cung cấp danh mục hồ sơ năm 2026 để tổng hợp vào Danh mục hồ sơ của Sở.",
     10, 2, [("withdraw", "Đã nhận được qua Văn phòng Sở, không cần nữa.")], False),
    ("chuyenvien", "unit:TCBC", "Đề nghị cung cấp số liệu biên chế công chức năm 2026",
     "Đề nghị cung cấp số liệu biên chế công chức được giao năm 2026 của các cơ quan hành "
     "chính cấp tỉnh.", 18, -9,
     [("forward", "cv.tcbc2"), ("accept", None),
      ("complete", "Đã gửi bảng số liệu kèm theo.")], True),
    ("chuyenvien", "lanhdao", "Xin ý kiến về kế hoạch tuyên truyền cải cách hành chính",
     "Kính trình Giám đốc cho ý kiến về dự thảo kế hoạch tuyên truyền cải cách hành chính năm "
     "2026.", 4, 3, [("accept", "Để tôi xem, trả lời trong tuần.")], True),
    ("truongphong", "unit:VP", "Đề nghị bố trí phòng họp và xe công tác đi huyện Thanh Liêm",
     "Đề nghị bố trí phòng họp số 2 và 01 xe công tác cho đoàn kiểm tra cải cách hành chính "
     "tại huyện Thanh Liêm.", 8, -6,
     [("forward", "vanthu"), ("accept", None),
      ("complete", "Đã bố trí phòng họp số 2 và xe 90A-001.23.")], False),
    ("cv.tcbc2", "unit:VP", "Đề nghị cấp văn phòng phẩm quý I",
     "Đề nghị cấp văn phòng phẩm quý I cho Phòng Tổ chức, biên chế và tổ chức phi chính phủ.",
     2, 8, [], False),
    ("tp.tcbc", "unit:XDCQ", "Phối hợp thẩm định hồ sơ thành lập thôn, tổ dân phố mới",
     "Đề nghị phối hợp thẩm định hồ sơ thành lập thôn, tổ dân phố mới của UBND huyện Thanh "
     "Liêm.", 11, -1, [("accept", "Đã giao chuyên viên nghiên cứu.")], True),
    ("cv.xdcq", "unit:TTr", "Cung cấp kết luận thanh tra công vụ năm 2025",
     "Đề nghị cung cấp kết luận thanh tra công vụ năm 2025 để tổng hợp báo cáo.", 22, -12,
     [("forward", "cv.thanhtra"), ("accept", None),
      ("complete", "Đã cung cấp 03 kết luận thanh tra.")], False),
    ("lanhdao", "unit:TĐKT", "Tổng hợp danh sách đề nghị khen thưởng tổng kết năm",
     "Đề nghị Ban tổng hợp danh sách tập thể, cá nhân đề nghị khen thưởng tổng kết năm, trình "
     "Hội đồng Thi đua – Khen thưởng Sở.", 5, 9, [("accept", None)], False),
    ("pgd.thanh", "tp.tcbc", "Báo cáo tiến độ tuyển dụng công chức năm 2026",
     "Đề nghị báo cáo tiến độ tổ chức kỳ tuyển dụng công chức năm 2026.", 13, -5, [], False),
    ("tdkt", "unit:VTLT", "Đề nghị cung cấp hồ sơ khen thưởng lưu trữ giai đoạn 2015–2020",
     "Đề nghị cung cấp bản sao hồ sơ khen thưởng giai đoạn 2015–2020 phục vụ xét khen thưởng "
     "quá trình cống hiến.", 16, -7,
     [("accept", None),
      ("refuse", "Hồ sơ đang chỉnh lý; đề nghị gửi lại sau khi hoàn thành chỉnh lý.")], False),
    ("cv.thanhtra", "cv.tcbc1", "Cung cấp quyết định bổ nhiệm cán bộ phục vụ thanh tra",
     "Đề nghị cung cấp bản sao quyết định bổ nhiệm cán bộ lãnh đạo cấp phòng năm 2025.", 7, 1,
     [("withdraw", "Đã tra cứu được trên hệ thống.")], False),
    ("pcvp", "unit:TCBC", "Rà soát tiêu chuẩn chức danh lãnh đạo cấp phòng",
     "Đề nghị rà soát tiêu chuẩn chức danh lãnh đạo cấp phòng theo quy định mới.", 1, 1, [],
     False),
    ("vanthu", "lanhdaovp", "Đề nghị ký duyệt sổ đăng ký văn bản đi quý III",
     "Đề nghị Chánh Văn phòng kiểm tra, ký xác nhận sổ đăng ký văn bản đi quý III.", 19, -14,
     [("accept", None), ("complete", "Đã kiểm tra và ký xác nhận.")], False),
    ("truongphong", "pgd.nga",
     "Xin ý kiến chỉ đạo về lịch kiểm tra cải cách hành chính tại các huyện",
     "Kính trình Phó Giám đốc cho ý kiến về lịch kiểm tra cải cách hành chính tại các huyện, "
     "thị xã, thành phố.", 2, 3, [], True),
    ("cv.cchc", "chuyenvien", "Chia sẻ mẫu báo cáo đánh giá chỉ số hài lòng (SIPAS)",
     "Đề nghị chia sẻ mẫu báo cáo đánh giá chỉ số hài lòng về sự phục vụ hành chính năm trước.",
     6, -3, [("accept", None), ("complete", "Đã gửi mẫu báo cáo.")], False),
    ("chuyenvien", "unit:XDCQ", "Phối hợp khảo sát sự hài lòng của người dân",
     "Đề nghị phối hợp tổ chức khảo sát sự hài lòng của người dân tại UBND cấp xã.", 9, -2,
     [("refuse", "Nội dung không thuộc chức năng của Phòng; đề nghị gửi Phòng Cải cách hành "
                 "chính.")], False),
]


class _Demo:
    def __init__(self):
        self.session = db.session
        self.users = {u.username: u for u in self.session.scalars(select(EofficeUser))}
        self.units = {d.code: d for d in self.session.scalars(select(Department))}
        self.now = local_now()
        self.today = self.now.date()
        self.font = current_app.config["PDF_FONT_PATH"]

    def missing(self):
        names = set(UNIT_LEADERS.values())
        for sender, target, *_rest, steps, _pdf in REQUESTS:
            names.add(sender)
            if not target.startswith("unit:"):
                names.add(target)
            names |= {value for action, value in steps if action == "forward"}
        units = {t[5:] for _s, t, *_r in REQUESTS if t.startswith("unit:")}
        return sorted(names - self.users.keys()) + sorted(units - self.units.keys())

    def exists(self, sender, subject):
        return self.session.scalar(select(RequestForm.id).where(
            RequestForm.sender_id == sender.id, RequestForm.subject == subject)) is not None

    def handler(self, request, target):
        if request.assignee_id:
            return self.session.get(EofficeUser, request.assignee_id)
        if target.startswith("unit:"):
            return self.users[UNIT_LEADERS[target[5:]]]
        return self.users[target]

    def create(self, spec):
        sender_name, target, subject, content, days_ago, due_in, steps, with_pdf = spec
        sender = self.users[sender_name]
        if self.exists(sender, subject):
            return None
        data = {"subject": subject, "content": content,
                "deadline": max(self.today, self.today + timedelta(days=due_in)),
                "target_department_id": self.units[target[5:]].id
                if target.startswith("unit:") else None,
                "target_user_id": None if target.startswith("unit:") else self.users[target].id}
        uploads = []
        if with_pdf:
            pdf = make_demo_pdf(subject, ["PHIẾU YÊU CẦU", subject, content], font_path=self.font)
            uploads.append((pdf, f"Phiếu yêu cầu – {subject[:60]}.pdf"))
        request = services.create_request(self.session, sender, data, uploads)
        for action, value in steps:
            if action == "forward":
                services.forward(self.session, self.users[UNIT_LEADERS[target[5:]]], request,
                                 self.users[value].id)
            elif action == "withdraw":
                services.withdraw(self.session, sender, request, value)
            else:
                services.act(self.session, self.handler(request, target), request, action,
                             note=value)
        self.backdate(request, days_ago, due_in)
        return request

    @staticmethod
    def office_hours(moment):
        """The same moment moved into a working day's office hours (07:45–16:45)."""
        while moment.weekday() >= 5:
            moment = datetime.combine(moment.date() - timedelta(days=1), time(15, 20))
        if moment.time() > time(16, 45):
            moment = datetime.combine(moment.date(), time(16, 5)) + timedelta(
                minutes=moment.minute % 30)
        elif moment.time() < time(7, 45):
            moment = datetime.combine(moment.date(), time(8, 0)) + timedelta(
                minutes=moment.minute % 30)
        return moment

    def backdate(self, request, days_ago, due_in):
        """Sent `days_ago` days ago in office hours; the steps spread between then and now."""
        sent_day = self.today - timedelta(days=days_ago)
        while sent_day.weekday() >= 5:
            sent_day -= timedelta(days=1)
        sent = datetime.combine(sent_day, time(8, 15)) + timedelta(minutes=(17 * request.id) % 300)
        sent = min(sent, self.now - timedelta(minutes=30))
        request.deadline = max(sent.date(), self.today + timedelta(days=due_in))
        request.sent_at = request.created_at = local_to_utc(sent)
        span = self.now - sent
        events = list(request.events)
        previous = sent
        for index, event in enumerate(events):
            moment = self.office_hours(sent + span * index / len(events))
            moment = min(max(moment, previous + timedelta(minutes=7 * bool(index))), self.now)
            event.at, previous = local_to_utc(moment), moment
        last = events[-1].at if events else request.sent_at
        if request.closed_at:
            request.closed_at = last
        request.updated_at = max(last, request.sent_at)
        for record in request.files:
            record.uploaded_at = request.sent_at
        self.session.commit()


def create_request_demo(app) -> int:
    """Create the demo request forms that are not there yet; returns how many were created."""
    with app.app_context():
        demo = _Demo()
        missing = demo.missing()
        if missing:
            click.echo("Phiếu yêu cầu mẫu: thiếu tài khoản hoặc đơn vị mẫu " + ", ".join(missing))
            return 0
        created = sum(1 for spec in REQUESTS if demo.create(spec) is not None)
        click.echo(f"Phiếu yêu cầu mẫu: đã tạo {created}, đã có {len(REQUESTS) - created}.")
        return created

