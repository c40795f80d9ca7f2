"""Demo news for `make run`: thirty items of the agency's internal portal in every state, with
cover and body images drawn here with Pillow (nothing is downloaded), spread over the last
months, some featured, one scheduled for the coming days. Each is written and moved through
app.news.services as the people would; then its times are moved onto a past timeline.

Idempotent: an item already there (same author, same title) is left alone."""
import io
from datetime import timedelta

import click
from flask import current_app
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from app.catalogs.models import NewsCategory
from app.core.timefmt import local_now, utcnow
from app.extensions import db
from app.news import services
from app.news.models import NewsItem
from app.org.models import EofficeUser

# Which leader edits what each unit's people write.
EDITORS = {"CCHC": "truongphong", "TCBC": "tp.tcbc", "XDCQ": "tp.xdcq", "VP": "lanhdaovp",
           "TTr": "chanh.thanhtra"}
PUBLISHERS = ["lanhdao", "pgd.thanh", "pgd.nga"]
COLOURS = [(21, 101, 192), (46, 125, 50), (198, 40, 40), (106, 27, 154), (239, 108, 0),
           (0, 121, 107)]

# (author, category, title, summary, days ago, final state, featured)
# Final states: draft · submitted · pending · published · returned (unit level) ·
# returned_up (agency level) · unpublished · scheduled (published, shown in 3 days).
NEWS = [
    ("chuyenvien", "Tin hoạt động", "Sở Nội vụ tổ chức Hội nghị tổng kết công tác năm 2025",
     "Hội nghị đánh giá kết quả thực hiện nhiệm vụ năm 2025 và triển khai phương hướng, "
     "nhiệm vụ năm 2026.", 3, "published", True),
    ("cv.cchc", "Cải cách hành chính", "Công bố Chỉ số cải cách hành chính năm 2025 của Sở",
     "Sở tiếp tục nằm trong nhóm dẫn đầu các sở, ngành về chỉ số cải cách hành chính.",
     6, "published", True),
    ("cv.tcbc1", "Chỉ đạo, điều hành", "Triển khai Đề án vị trí việc làm trong cơ quan hành chính",
     "Lãnh đạo Sở chỉ đạo các phòng hoàn thiện bản mô tả công việc trước ngày 31/3.",
     9, "published", False),
    ("vanthu", "Thông báo nội bộ", "Lịch nghỉ Tết Nguyên đán Bính Ngọ năm 2026",
     "Cán bộ, công chức, người lao động được nghỉ Tết theo thông báo của Ủy ban nhân dân tỉnh.",
     12, "published", True),
    ("cv.xdcq", "Tin hoạt động", "Tập huấn nghiệp vụ công tác thanh niên năm 2026",
     "Hơn 80 học viên là cán bộ làm công tác thanh niên các huyện, thị xã, thành phố tham dự.",
     15, "published", False),
    ("chuyenvien", "Văn bản mới", "Quy chế quản lý văn bản và hồ sơ công việc trên môi trường mạng",
     "Các phòng, đơn vị thực hiện xử lý văn bản, hồ sơ công việc hoàn toàn trên phần mềm.",
     19, "published", False),
    ("cv.thanhtra", "Tin hoạt động", "Thanh tra Sở kiểm tra công vụ tại các đơn vị trực thuộc",
     "Đoàn kiểm tra việc chấp hành kỷ luật, kỷ cương hành chính tại 6 đơn vị.",
     23, "published", False),
    ("cv.tcbc2", "Thi đua, khen thưởng", "Phát động phong trào thi đua năm 2026",
     "Phong trào thi đua “Cán bộ, công chức thi đua thực hiện văn hóa công sở”.",
     27, "published", True),
    ("cv.cchc", "Cải cách hành chính", "Đẩy mạnh cung cấp dịch vụ công trực tuyến toàn trình",
     "Tỷ lệ hồ sơ trực tuyến toàn trình của Sở đạt trên 90%.", 33, "published", False),
    ("vanthu", "Thông báo nội bộ", "Thông báo lịch sao lưu dữ liệu phần mềm hằng tuần",
     "Việc sao lưu diễn ra vào 17 giờ thứ Sáu hằng tuần; đề nghị lưu công việc trước giờ này.",
     40, "published", False),
    ("chuyenvien", "Tin hoạt động", "Đoàn viên thanh niên Sở Nội vụ ra quân Ngày Chủ nhật xanh",
     "Hơn 50 đoàn viên tham gia dọn vệ sinh, trồng cây xanh tại khu dân cư.",
     47, "published", False),
    ("cv.xdcq", "Chỉ đạo, điều hành", "Chuẩn bị bầu cử đại biểu Hội đồng nhân dân các cấp",
     "Sở hướng dẫn các địa phương rà soát danh sách cử tri.", 55, "published", False),
    ("cv.tcbc1", "Văn bản mới", "Hướng dẫn mới về tuyển dụng công chức năm 2026",
     "Tóm tắt các điểm mới của Nghị định về tuyển dụng, sử dụng và quản lý công chức.",
     63, "published", False),
    ("cv.thanhtra", "Thông báo nội bộ", "Tiếp công dân định kỳ tháng 12",
     "Lãnh đạo Sở tiếp công dân định kỳ vào ngày 15 hằng tháng tại Trụ sở tiếp công dân.",
     72, "published", False),
    ("truongphong", "Cải cách hành chính", "Kết quả khảo sát sự hài lòng của người dân năm 2025",
     "Mức độ hài lòng chung đạt 92,4%, tăng 3,1 điểm so với năm trước.",
     80, "published", False),
    ("cv.cchc", "Tin hoạt động", "Hội thảo chuyển đổi số trong cơ quan nhà nước",
     "Chia sẻ kinh nghiệm số hóa hồ sơ, tài liệu lưu trữ.", 90, "published", False),
    ("cv.tcbc2", "Thi đua, khen thưởng", "Tuyên dương điển hình tiên tiến giai đoạn 2021–2025",
     "Lễ tuyên dương sẽ được tổ chức vào đầu tháng tới.", 1, "scheduled", True),
    ("chuyenvien", "Tin hoạt động", "Giải bóng chuyền hơi công đoàn Sở năm 2026",
     "Giải đấu với sự tham gia của 8 đội đến từ các phòng, đơn vị.", 30, "unpublished", False),
    ("cv.cchc", "Cải cách hành chính", "Rà soát thủ tục hành chính quý I năm 2026",
     "Kết quả rà soát, đề xuất đơn giản hóa 12 thủ tục hành chính.", 2, "pending", False),
    ("cv.xdcq", "Tin hoạt động", "Hội nghị giao ban công tác chính quyền địa phương",
     "Giao ban quý IV với các phòng Nội vụ huyện, thị xã, thành phố.", 3, "pending", False),
    ("lanhdaovp", "Thông báo nội bộ", "Quy định về sử dụng phòng họp trực tuyến",
     "Đăng ký phòng họp qua phần mềm trước ít nhất một ngày làm việc.", 1, "pending", False),
    ("chuyenvien", "Văn bản mới", "Điểm mới của Nghị định về công tác văn thư",
     "Những quy định mới về văn bản điện tử và chữ ký số.", 2, "submitted", False),
    ("cv.tcbc1", "Tin hoạt động", "Bồi dưỡng kiến thức quản lý nhà nước cho chuyên viên",
     "Lớp bồi dưỡng khai giảng ngày 10/3 tại Trường Chính trị tỉnh.", 1, "submitted", False),
    ("cv.thanhtra", "Chỉ đạo, điều hành", "Kế hoạch thanh tra năm 2026",
     "Kế hoạch thanh tra công vụ, thanh tra chuyên ngành năm 2026.", 4, "submitted", False),
    ("chuyenvien", "Tin hoạt động", "Ngày hội văn hóa công sở",
     "Các phòng thi trang trí không gian làm việc xanh, sạch, đẹp.", 5, "returned", False),
    ("cv.tcbc2", "Thông báo nội bộ", "Cập nhật hồ sơ cán bộ trên phần mềm",
     "Đề nghị cán bộ cập nhật thông tin cá nhân trước ngày 20.", 6, "returned", False),
    ("vanthu", "Văn bản mới", "Danh mục hồ sơ năm 2026 của Sở",
     "Danh mục hồ sơ đã được Giám đốc Sở phê duyệt.", 4, "returned_up", False),
    ("chuyenvien", "Cải cách hành chính", "Sáng kiến cải tiến quy trình tiếp nhận hồ sơ",
     "Đề xuất rút ngắn thời gian tiếp nhận hồ sơ tại bộ phận một cửa.", 0, "draft", False),
    ("cv.xdcq", "Tin hoạt động", "Gặp mặt cán bộ hưu trí nhân dịp năm mới",
     "Bản nháp tin chuẩn bị cho buổi gặp mặt.", 1, "draft", False),
    ("cv.cchc", "Thi đua, khen thưởng", "Kết quả chấm điểm thi đua khối nội chính",
     "Bản nháp đang chờ số liệu chính thức.", 2, "draft", False),
]


def demo_image(text: str, colour, size=(960, 540)) -> bytes:
    """A simple JPEG: a coloured band with the text, in the PDF font (Vietnamese glyphs)."""
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    for step in range(0, size[1], 6):  # a soft gradient, so that it is not a flat box
        shade = tuple(min(255, c + step // 8) for c in colour)
        draw.rectangle([0, step, size[0], step + 6], fill=shade)
    try:
        font = ImageFont.truetype(current_app.config["PDF_FONT_PATH"], 40)
    except OSError:
        font = ImageFont.load_default(size=40)
    words, lines, line = text.split(), [], ""
    for word in words:
        if len(line) + len(word) > 32:
            lines.append(line)
            line = ""
        line = f"{line} {word}".strip()
    lines.append(line)
    for index, text_line in enumerate(lines[:4]):
        draw.text((48, 150 + 60 * index), text_line, fill=(255, 255, 255), font=font)
    draw.text((48, size[1] - 80), "SỞ NỘI VỤ TỈNH HÀ NAM", fill=(255, 255, 255), font=font)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _body(title, summary, image_url=None):
    picture = f'<p><img src="{image_url}" alt="{title}"></p>' if image_url else ""
    return (f"<p>{summary}</p>{picture}"
            "<h3>Nội dung chính</h3>"
            "<ul><li>Đánh giá kết quả đã đạt được, chỉ ra tồn tại, hạn chế.</li>"
            "<li>Thống nhất nhiệm vụ, giải pháp trọng tâm thời gian tới.</li>"
            "<li>Phân công các phòng, đơn vị chủ trì thực hiện.</li></ul>"
            "<p>Phát biểu chỉ đạo, Lãnh đạo Sở đề nghị các phòng, đơn vị <strong>quán triệt, "
            "triển khai nghiêm túc</strong> và báo cáo kết quả đúng thời hạn.</p>"
            "<blockquote>Mọi thông tin chi tiết xin liên hệ Văn phòng Sở.</blockquote>")


class _Demo:
    def __init__(self):
        self.session = db.session
        names = set(EDITORS.values()) | set(PUBLISHERS) | {spec[0] for spec in NEWS}
        self.users = {u.username: u for u in self.session.scalars(
            select(EofficeUser).where(EofficeUser.username.in_(names)))}
        self.categories = {c.name: c for c in self.session.scalars(select(NewsCategory))}
        self.missing = sorted(names - set(self.users))

    def exists(self, author, title):
        return self.session.scalar(select(NewsItem.id).where(
            NewsItem.author_id == author.id, NewsItem.title == title)) is not None

    def editor_of(self, author):
        return self.users[EDITORS[author.department.code]]

    def create(self, index, spec):
        username, category, title, summary, days_ago, final, featured = spec
        author = self.users[username]
        if self.exists(author, title):
            return None
        colour = COLOURS[index % len(COLOURS)]
        cover = (demo_image(title, colour), f"Ảnh đại diện – {title[:60]}.jpg")
        inline = services.upload_image(self.session, author, demo_image(
            category, tuple(c // 2 for c in colour), (800, 450)), f"Ảnh minh họa {index}.jpg")
        data = {"title": title, "summary": summary, "body": _body(title, summary, inline.url),
                "category_id": self.categories[category].id, "featured": featured,
                "publish_at": local_now() + timedelta(days=3) if final == "scheduled" else None}
        item = services.create_news(self.session, author, data, cover if index % 5 else None)
        publisher = self.users[PUBLISHERS[index % len(PUBLISHERS)]]
        for actor, action, note in self.steps(item, author, final, publisher):
            services.act(self.session, actor, item, action, note=note)
        self.backdate(item, days_ago)
        return item

    def steps(self, item, author, final, publisher):
        if final == "draft":
            return []
        own = services.workflow.allowed(author, item, "submit_up")
        steps = [(author, "submit_up" if own else "submit", None)]
        editor = None if own else self.editor_of(author)
        if final == "submitted":
            return steps
        if final == "returned":
            return steps + [(editor, "return", "Đề nghị bổ sung số liệu cụ thể và ảnh hoạt "
                                               "động; rút gọn tiêu đề.")]
        if editor is not None:
            steps.append((editor, "forward", None))
        if final == "pending":
            return steps
        if final == "returned_up":
            return steps + [(publisher, "return", "Nội dung trùng với thông báo đã đăng; đề "
                                                  "nghị cập nhật theo quyết định mới.")]
        steps.append((publisher, "publish", None))
        if final == "unpublished":
            steps.append((publisher, "unpublish", "Thông tin giải đấu thay đổi, sẽ đăng lại "
                                                  "sau khi có lịch chính thức."))
        return steps

    def backdate(self, item, days_ago):
        """Written `days_ago` days ago (plus a little); the steps a few hours apart."""
        start = utcnow() - timedelta(days=days_ago, hours=6 + item.id % 5)
        item.created_at = start
        for revision in item.revisions:
            revision.at = start
        for image in item.images:
            image.uploaded_at = image.file.uploaded_at = start
        moment = start
        for event in item.events:
            event.at = moment
            moment += timedelta(hours=1, minutes=17)
        item.updated_at = max(event.at for event in item.events)
        if item.published_at and item.published_at <= utcnow():
            item.published_at = item.events[-1].at if item.state == "published" else \
                next(e.at for e in item.events if e.action == "publish")
        self.session.commit()


def create_news_demo(app) -> int:
    """Create the demo news items that are not there yet; returns how many were created."""
    with app.app_context():
        demo = _Demo()
        if demo.missing or not demo.categories:
            click.echo("Tin tức mẫu: thiếu tài khoản hoặc chuyên mục mẫu " + ", ".join(
                demo.missing))
            return 0
        created = sum(1 for index, spec in enumerate(NEWS)
                      if demo.create(index, spec) is not None)
        click.echo(f"Tin tức mẫu: đã tạo {created}, đã có {len(NEWS) - created}.")
        return created

