"""Demo incoming documents (văn bản đến) for `make run`: about two hundred documents over the
last four months and a hundred more over the year before (so that the leaders' dashboard has
twelve months to show), registered, routed and processed through app.documents.services exactly as
the clerk, the agency leaders, the unit leaders and the officers would, each with one small
real PDF. Deterministic (one seed) and idempotent (nothing is added once any incoming document
exists).

The services stamp every event with the time they run. Once a document's history is written,
`_backdate` moves those timestamps (and only those) onto a plausible timeline between its
arrival and now, so that the register, the "date passed on" column and on-time / late
completion read as they would in a real office."""
import random
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import click
from flask import current_app
from sqlalchemy import func, select

from app.catalogs import seed_data
from app.catalogs.models import (
    Agency, DocumentType, Field, Register, SecrecyLevel, UrgencyLevel,
)
from app.catalogs.seed import seed_catalogs
from app.core.errors import DomainError
from app.core.pdf import make_demo_pdf
from app.core.timefmt import add_working_days, local_now, local_to_utc
from app.documents import services
from app.documents.models import (
    COMPLETED, COOPERATE, FYI, IN_PROGRESS, LEAD, PENDING, REGISTERED, STATES, SUBMITTED,
    IncomingDocument,
)
from app.extensions import db
from app.org.models import Department, EofficeUser

DEFAULT_COUNT = 300
DEFAULT_SEED = 2026
WINDOW_DAYS = 120  # about four months
HISTORY_SHARE = 3  # one document in three arrived in the HISTORY_DAYS before the window
HISTORY_DAYS = 280  # with the window: thirteen months
DAY_START, DAY_END = time(7, 30), time(16, 45)  # when the clerk receives documents
OFFICE_START, OFFICE_END = time(7, 45), time(17, 0)
CLERK = "vanthu"

# ---------------------------------------------------------------- the agency's people

# unit code → (how leaders write it in a direction, unit leader, [(officer, weight)])
UNITS = {
    "CCHC": ("Phòng CCHC", "truongphong", [("chuyenvien", 7), ("cv.cchc", 3)]),
    "TCBC": ("Phòng TCBC", "tp.tcbc", [("cv.tcbc1", 6), ("cv.tcbc2", 4)]),
    "XDCQ": ("Phòng XDCQ&CTTN", "tp.xdcq", [("cv.xdcq", 1)]),
    "VTLT": ("Chi cục VTLT", "ccvtlt", [("cv.vtlt", 1)]),
    "TĐKT": ("Ban TĐKT", "tdkt", []),
    "TTr": ("Thanh tra Sở", "chanh.thanhtra", [("cv.thanhtra", 1)]),
    "VP": ("Văn phòng Sở", "lanhdaovp", [("pcvp", 1)]),
}
UNIT_WEIGHTS = {"CCHC": 27, "TCBC": 20, "XDCQ": 11, "VTLT": 12, "TĐKT": 10, "TTr": 8, "VP": 12}
# The deputy director in charge of each unit (the director takes the important ones).
DEPUTY = {"TCBC": "pgd.thanh", "XDCQ": "pgd.thanh", "TTr": "pgd.thanh",
          "CCHC": "pgd.nga", "VTLT": "pgd.nga", "TĐKT": "pgd.nga", "VP": "pgd.nga"}
DIRECTOR = "lanhdao"
COOPERATING = {"CCHC": ["VP", "TCBC", "VTLT"], "TCBC": ["VP", "XDCQ", "CCHC"],
               "XDCQ": ["TCBC", "VP"], "VTLT": ["VP", "CCHC"], "TĐKT": ["VP", "TCBC"],
               "TTr": ["TCBC", "VP"], "VP": ["TCBC", "CCHC"]}

# ---------------------------------------------------------------- who writes to the agency

# seed short name → (symbol on Công văn, symbol on other types, units signing Công văn,
# Công văn a year, place, [(signer, position)]). The signers are fictitious.
AGENCY_STYLE = {
    "UBND tỉnh": ("UBND", "UBND", ("NC", "KGVX", "TH", "KT"), 4200, "Hà Nam",
                  (("Lê Văn Bình", "Chủ tịch"), ("Nguyễn Thị Hương Giang", "Phó Chủ tịch"),
                   ("Trần Xuân Khánh", "Phó Chủ tịch"))),
    "VP UBND tỉnh": ("VPUB", "VP", ("NC", "TH", "KGVX", "HCTC"), 2600, "Hà Nam",
                     (("Đinh Công Sơn", "Chánh Văn phòng"),
                      ("Phạm Thị Thu Hà", "Phó Chánh Văn phòng"))),
    "STC": ("STC", "STC", ("QLNS", "TCHCSN", "QLGCS"), 3100, "Hà Nam",
            (("Vũ Mạnh Cường", "Giám đốc"), ("Lại Thị Minh", "Phó Giám đốc"))),
    "SKHĐT": ("SKHĐT", "SKHĐT", ("TH", "KTĐN"), 2400, "Hà Nam",
              (("Nguyễn Quang Vinh", "Giám đốc"), ("Trần Thị Loan", "Phó Giám đốc"))),
    "STP": ("STP", "STP", ("XDKTVB", "PBGDPL"), 1500, "Hà Nam",
            (("Đoàn Văn Tú", "Giám đốc"), ("Khúc Thị Lan Anh", "Phó Giám đốc"))),
    "STNMT": ("STNMT", "STNMT", ("VP", "QLĐĐ"), 3300, "Hà Nam",
              (("Phùng Văn Thắng", "Giám đốc"), ("Âu Thị Thu", "Phó Giám đốc"))),
    "STTTT": ("STTTT", "STTTT", ("CNTT", "BCVT"), 1300, "Hà Nam",
              (("Nghiêm Xuân Tùng", "Giám đốc"), ("Lã Thị Bích Ngọc", "Phó Giám đốc"))),
    "SGDĐT": ("SGDĐT", "SGDĐT", ("TCCB", "VP"), 2800, "Hà Nam",
              (("Tạ Minh Châu", "Giám đốc"), ("Đàm Văn Lực", "Phó Giám đốc"))),
    "SYT": ("SYT", "SYT", ("TCCB", "NVY"), 2900, "Hà Nam",
            (("Cù Văn Khoa", "Giám đốc"), ("Hà Thị Thanh Xuân", "Phó Giám đốc"))),
    "UBND TP Phủ Lý": ("UBND", "UBND", ("NV", "VP"), 3600, "Phủ Lý",
                       (("Trịnh Đức Hải", "Chủ tịch"), ("Phí Thị Nhung", "Phó Chủ tịch"))),
    "UBND huyện Kim Bảng": ("UBND", "UBND", ("NV", "VP"), 2500, "Kim Bảng",
                            (("Lưu Văn Hiếu", "Chủ tịch"), ("Tống Thị Hạnh", "Phó Chủ tịch"))),
    "UBND huyện Thanh Liêm": ("UBND", "UBND", ("NV", "VP"), 2400, "Thanh Liêm",
                              (("Mạc Thị Yến", "Chủ tịch"), ("Ninh Văn Toàn", "Phó Chủ tịch"))),
    "BNV": ("BNV", "BNV", ("TCBC", "CCHC", "CQĐP", "CCVC", "VP"), 7200, "Hà Nội",
            (("Nguyễn Đức Minh", "Thứ trưởng"), ("Hoàng Văn Lợi", "Vụ trưởng"))),
    "VPCP": ("VPCP", "VPCP", ("KSTT", "TCCV", "V.I"), 9800, "Hà Nội",
             (("Cao Minh Tuấn", "Phó Chủ nhiệm"),)),
    "Cục VTLTNN": ("VTLTNN", "VTLTNN", ("NVTW", "NVĐP", "VP"), 1400, "Hà Nội",
                   (("Đặng Thanh Tùng", "Cục trưởng"), ("Vương Thị Hà", "Phó Cục trưởng"))),
}
# How many of each type an agency issues, relative to its Công văn (for realistic numbers).
TYPE_SHARE = {"Công văn": 1.0, "Quyết định": 0.6, "Thông báo": 0.12, "Báo cáo": 0.1,
              "Kế hoạch": 0.08, "Giấy mời": 0.07, "Tờ trình": 0.05, "Hướng dẫn": 0.02}
PROVINCE = ("UBND tỉnh", "VP UBND tỉnh")
CENTRAL = ("BNV", "VPCP", "Cục VTLTNN")
LOCAL = ("UBND TP Phủ Lý", "UBND huyện Kim Bảng", "UBND huyện Thanh Liêm")

# ---------------------------------------------------------------- what they write about

CV, QD, KH, TB, BC, GM, HD, TTR = ("Công văn", "Quyết định", "Kế hoạch", "Thông báo", "Báo cáo",
                                   "Giấy mời", "Hướng dẫn", "Tờ trình")
# (lead unit, field code, type, excerpt, issuing agencies). Placeholders: {y} the year,
# {y0} the year before, {y1} the year after, {q} the quarter, {h} the half-year (I, II),
# {months} months elapsed, {m} the month.
TOPICS = [
    ("CCHC", "CCHC", CV, "V/v báo cáo kết quả thực hiện công tác cải cách hành chính quý {q} "
     "năm {y}", PROVINCE + ("BNV",)),
    ("CCHC", "CCHC", CV, "V/v triển khai xác định Chỉ số cải cách hành chính năm {y} của các "
     "sở, ban, ngành", ("UBND tỉnh", "BNV")),
    ("CCHC", "CCHC", CV, "V/v đẩy mạnh cung cấp dịch vụ công trực tuyến toàn trình trên địa "
     "bàn tỉnh", PROVINCE + ("STTTT",)),
    ("CCHC", "CCHC", CV, "V/v rà soát, đơn giản hóa thủ tục hành chính nội bộ năm {y}",
     PROVINCE + ("VPCP",)),
    ("CCHC", "CCHC", CV, "V/v góp ý dự thảo Kế hoạch cải cách hành chính nhà nước giai đoạn "
     "2026 – 2030", ("UBND tỉnh", "BNV", "STP")),
    ("CCHC", "CCHC", CV, "V/v báo cáo tình hình số hóa hồ sơ, kết quả giải quyết thủ tục hành "
     "chính quý {q} năm {y}", ("VP UBND tỉnh", "VPCP")),
    ("CCHC", "CCHC", KH, "Kiểm tra công tác cải cách hành chính năm {y}", ("UBND tỉnh",)),
    ("CCHC", "CCHC", KH, "Tuyên truyền cải cách hành chính năm {y}", ("UBND tỉnh", "STTTT")),
    ("CCHC", "CCHC", TB, "Kết quả đo lường sự hài lòng của người dân, tổ chức đối với sự phục "
     "vụ của cơ quan hành chính nhà nước năm {y0}", ("BNV",)),
    ("CCHC", "CCHC", QD, "Về việc công bố Chỉ số cải cách hành chính năm {y0} của các sở, ban, "
     "ngành, UBND các huyện, thành phố", ("UBND tỉnh",)),
    ("CCHC", "CCHC", BC, "Tình hình thực hiện cơ chế một cửa, một cửa liên thông quý {q} năm "
     "{y}", LOCAL),
    ("CCHC", "CCHC", GM, "Dự Hội nghị triển khai nhiệm vụ cải cách hành chính và chuyển đổi số "
     "năm {y}", PROVINCE),
    ("CCHC", "CCHC", HD, "Chấm điểm, tự đánh giá, xác định Chỉ số cải cách hành chính năm {y}",
     ("BNV",)),
    ("CCHC", "CCHC", TTR, "Về việc đề nghị thẩm định Kế hoạch cải cách hành chính năm {y1}",
     LOCAL + ("SYT",)),
    ("TCBC", "TCCB", CV, "V/v báo cáo số lượng, chất lượng cán bộ, công chức, viên chức năm {y}",
     ("UBND tỉnh", "BNV")),
    ("TCBC", "TCCB", CV, "V/v đề nghị thẩm định đề án vị trí việc làm, cơ cấu ngạch công chức",
     ("SYT", "SGDĐT", "STNMT", "UBND huyện Thanh Liêm")),
    ("TCBC", "TCCB", CV, "V/v đăng ký nhu cầu biên chế công chức, số lượng người làm việc năm "
     "{y1}", ("SGDĐT", "SYT", "STC", "UBND TP Phủ Lý")),
    ("TCBC", "TCCB", CV, "V/v thực hiện chế độ nâng bậc lương thường xuyên, nâng bậc lương "
     "trước thời hạn", ("STC", "SGDĐT", "UBND huyện Kim Bảng")),
    ("TCBC", "TCCB", CV, "V/v hướng dẫn thực hiện chính sách đối với cán bộ, công chức, viên "
     "chức khi sắp xếp tổ chức bộ máy", ("BNV",)),
    ("TCBC", "TCCB", QD, "Về việc phê duyệt Kế hoạch tuyển dụng công chức năm {y}",
     ("UBND tỉnh",)),
    ("TCBC", "TCCB", KH, "Thực hiện tinh giản biên chế năm {y}", ("UBND tỉnh",)),
    ("TCBC", "TCCB", HD, "Đánh giá, xếp loại chất lượng cán bộ, công chức, viên chức năm {y}",
     ("BNV", "UBND tỉnh")),
    ("TCBC", "TCCB", BC, "Kết quả thực hiện tinh giản biên chế đợt {h} năm {y}",
     ("SYT", "SGDĐT", "UBND huyện Thanh Liêm")),
    ("TCBC", "TCCB", TTR, "Về việc đề nghị thẩm định phương án sắp xếp, kiện toàn tổ chức bộ máy",
     ("STNMT", "SKHĐT", "STTTT")),
    ("XDCQ", "TCCB", CV, "V/v báo cáo tình hình tổ chức và hoạt động của chính quyền địa phương "
     "cấp xã", ("UBND tỉnh", "BNV")),
    ("XDCQ", "TCCB", CV, "V/v thực hiện chế độ, chính sách đối với người hoạt động không chuyên "
     "trách ở cấp xã", LOCAL + ("STC",)),
    ("XDCQ", "TCCB", CV, "V/v rà soát tiêu chuẩn chức danh cán bộ, công chức cấp xã",
     ("BNV", "UBND tỉnh")),
    ("XDCQ", "TCCB", KH, "Triển khai công tác thanh niên năm {y}", ("UBND tỉnh",)),
    ("XDCQ", "TCCB", TTR, "Về việc đề nghị thành lập, sáp nhập thôn, tổ dân phố", LOCAL),
    ("XDCQ", "TCCB", BC, "Kết quả thực hiện dân chủ ở cơ sở năm {y}", LOCAL),
    ("VTLT", "VTLT", CV, "V/v triển khai Kế hoạch kiểm tra công tác văn thư, lưu trữ năm {y}",
     ("UBND tỉnh", "Cục VTLTNN")),
    ("VTLT", "VTLT", CV, "V/v hướng dẫn lập hồ sơ và nộp lưu hồ sơ, tài liệu vào Lưu trữ cơ "
     "quan", ("Cục VTLTNN",)),
    ("VTLT", "VTLT", CV, "V/v báo cáo thống kê cơ sở về công tác văn thư, lưu trữ và tài liệu "
     "lưu trữ năm {y}", ("Cục VTLTNN", "BNV")),
    ("VTLT", "VTLT", CV, "V/v thực hiện ký số, phát hành văn bản điện tử trên Hệ thống quản lý "
     "văn bản và điều hành", ("VP UBND tỉnh", "STTTT")),
    ("VTLT", "VTLT", KH, "Số hóa tài liệu lưu trữ của tỉnh giai đoạn 2026 – 2030",
     ("UBND tỉnh",)),
    ("VTLT", "VTLT", HD, "Xác định cơ quan, tổ chức thuộc nguồn nộp lưu tài liệu vào Lưu trữ "
     "lịch sử tỉnh", ("Cục VTLTNN",)),
    ("VTLT", "VTLT", GM, "Dự tập huấn nghiệp vụ văn thư, lưu trữ năm {y}",
     ("Cục VTLTNN", "VP UBND tỉnh")),
    ("TĐKT", "TDKT", CV, "V/v hướng dẫn công tác thi đua, khen thưởng năm {y}",
     ("UBND tỉnh", "BNV")),
    ("TĐKT", "TDKT", CV, "V/v đề nghị xét tặng danh hiệu Chiến sĩ thi đua cấp tỉnh năm {y}",
     ("SGDĐT", "SYT", "UBND TP Phủ Lý", "UBND huyện Kim Bảng")),
    ("TĐKT", "TDKT", KH, "Phát động phong trào thi đua thực hiện thắng lợi nhiệm vụ phát triển "
     "kinh tế – xã hội năm {y}", ("UBND tỉnh",)),
    ("TĐKT", "TDKT", QD, "Về việc tặng Bằng khen của Chủ tịch UBND tỉnh cho các tập thể, cá "
     "nhân có thành tích xuất sắc", ("UBND tỉnh",)),
    ("TĐKT", "TDKT", TB, "Kết quả xét thi đua, khen thưởng năm {y0}", PROVINCE),
    ("TĐKT", "TDKT", TTR, "Về việc đề nghị khen thưởng thành tích thực hiện nhiệm vụ năm {y0}",
     ("UBND huyện Thanh Liêm", "STP", "STC")),
    ("TĐKT", "TDKT", GM, "Dự Hội nghị điển hình tiên tiến tỉnh Hà Nam giai đoạn 2021 – 2025",
     ("UBND tỉnh",)),
    ("TTr", "TTKN", CV, "V/v giải quyết đơn kiến nghị của công dân", PROVINCE),
    ("TTr", "TTKN", CV, "V/v báo cáo công tác tiếp công dân, giải quyết khiếu nại, tố cáo quý "
     "{q} năm {y}", ("UBND tỉnh", "BNV")),
    ("TTr", "TTKN", CV, "V/v chuyển đơn của công dân", ("VP UBND tỉnh", "UBND TP Phủ Lý")),
    ("TTr", "TTKN", CV, "V/v báo cáo kết quả công tác phòng, chống tham nhũng, tiêu cực quý {q} "
     "năm {y}", PROVINCE),
    ("TTr", "TTKN", KH, "Thanh tra, kiểm tra việc chấp hành pháp luật về công vụ, công chức năm "
     "{y1}", ("UBND tỉnh",)),
    ("TTr", "TTKN", TB, "Kết luận thanh tra việc thực hiện quy định về tuyển dụng, sử dụng viên "
     "chức", ("UBND tỉnh",)),
    ("VP", "TCNS", CV, "V/v hướng dẫn xây dựng dự toán ngân sách nhà nước năm {y1}", ("STC",)),
    ("VP", "TCNS", CV, "V/v báo cáo tình hình thực hiện dự toán ngân sách nhà nước {months} "
     "tháng đầu năm {y}", ("STC",)),
    ("VP", "TCNS", CV, "V/v thực hiện tiết kiệm chi thường xuyên năm {y}", ("STC", "UBND tỉnh")),
    ("VP", "TCNS", CV, "V/v công khai dự toán, quyết toán ngân sách năm {y}", ("STC",)),
    ("VP", "TCNS", CV, "V/v báo cáo tình hình quản lý, sử dụng tài sản công năm {y}", ("STC",)),
    ("VP", "TCNS", QD, "Về việc giao bổ sung dự toán chi ngân sách nhà nước năm {y}",
     ("UBND tỉnh",)),
    ("VP", "KHĐT", CV, "V/v đăng ký nhu cầu đầu tư công trung hạn giai đoạn 2026 – 2030",
     ("SKHĐT",)),
    ("VP", "TTTT", CV, "V/v bảo đảm an toàn thông tin mạng trong cơ quan nhà nước", ("STTTT",)),
    ("VP", "TP", CV, "V/v phổ biến văn bản quy phạm pháp luật mới ban hành", ("STP",)),
    ("VP", None, TB, "Kết luận của Chủ tịch UBND tỉnh tại cuộc họp giao ban tháng {m} năm {y}",
     ("VP UBND tỉnh",)),
    ("VP", None, GM, "Dự họp giao ban công tác tháng {m} năm {y}", PROVINCE),
]
# Secret (Mật) documents: paper only, routed to one unit, nobody "for information".
SECRET_TOPICS = [
    ("TCBC", "TCCB", CV, "V/v nhận xét, đánh giá cán bộ thuộc diện quy hoạch", ("UBND tỉnh",)),
    ("TTr", "TTKN", CV, "V/v xác minh nội dung đơn tố cáo", ("UBND tỉnh",)),
    ("VP", "QPAN", KH, "Bảo vệ bí mật nhà nước năm {y}", ("UBND tỉnh",)),
    ("XDCQ", "DTTG", CV, "V/v tình hình hoạt động tôn giáo trên địa bàn tỉnh", ("UBND tỉnh",)),
]

BODY = {
    CV: ["Thực hiện chỉ đạo của cấp có thẩm quyền, {agency} đề nghị Sở Nội vụ tỉnh Hà Nam quan "
         "tâm, phối hợp thực hiện các nội dung nêu trên.",
         "Kết quả thực hiện đề nghị gửi về {agency} trước ngày {due} để tổng hợp.",
         "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị phản ánh kịp thời để "
         "được hướng dẫn."],
    QD: ["Căn cứ Luật Tổ chức chính quyền địa phương và các văn bản hướng dẫn thi hành;",
         "Điều 1. Ban hành kèm theo Quyết định này nội dung nêu tại trích yếu.",
         "Điều 2. Quyết định này có hiệu lực kể từ ngày ký.",
         "Điều 3. Giám đốc Sở Nội vụ và thủ trưởng các cơ quan, đơn vị có liên quan chịu trách "
         "nhiệm thi hành Quyết định này."],
    KH: ["I. MỤC ĐÍCH, YÊU CẦU",
         "Triển khai đồng bộ, hiệu quả các nhiệm vụ; xác định rõ nội dung, tiến độ và trách "
         "nhiệm của từng cơ quan, đơn vị.",
         "II. NỘI DUNG VÀ TIẾN ĐỘ THỰC HIỆN",
         "III. TỔ CHỨC THỰC HIỆN: Sở Nội vụ chủ trì, phối hợp với các cơ quan, đơn vị liên quan "
         "triển khai; báo cáo kết quả trước ngày {due}."],
    TB: ["{agency} thông báo để các cơ quan, đơn vị biết và tổ chức thực hiện.",
         "Đề nghị Sở Nội vụ tỉnh Hà Nam triển khai các nội dung liên quan theo chức năng, "
         "nhiệm vụ được giao."],
    BC: ["{agency} báo cáo kết quả thực hiện như sau:",
         "1. Kết quả đạt được.", "2. Tồn tại, hạn chế và nguyên nhân.",
         "3. Phương hướng, nhiệm vụ thời gian tới và đề xuất, kiến nghị."],
    GM: ["{agency} trân trọng kính mời đại diện lãnh đạo Sở Nội vụ tỉnh Hà Nam tham dự.",
         "Thời gian: 08 giờ 00, ngày {due}.",
         "Địa điểm: Hội trường {agency}."],
    HD: ["Để thống nhất thực hiện, {agency} hướng dẫn một số nội dung như sau:",
         "1. Phạm vi, đối tượng áp dụng.", "2. Nội dung, quy trình thực hiện.",
         "3. Tổ chức thực hiện: báo cáo kết quả trước ngày {due}."],
    TTR: ["{agency} kính trình Sở Nội vụ tỉnh Hà Nam xem xét, thẩm định nội dung nêu trên.",
          "Hồ sơ kèm theo gồm: dự thảo văn bản, báo cáo thuyết minh và các tài liệu liên quan.",
          "Kính đề nghị Sở Nội vụ quan tâm, xem xét, có ý kiến trước ngày {due}."],
}
ADDRESSED = {CV, GM, TTR, BC}  # documents with "Kính gửi"

PROGRESS_NOTES = [
    "Đang tổng hợp số liệu từ các phòng, đơn vị thuộc Sở.",
    "Đã dự thảo văn bản, đang xin ý kiến lãnh đạo phòng.",
    "Đang phối hợp với Văn phòng Sở rà soát hồ sơ, số liệu.",
    "Đã trình lãnh đạo Sở dự thảo, chờ ký ban hành.",
    "Đang nghiên cứu, chuẩn bị nội dung tham mưu.",
    "Đã đôn đốc các đơn vị gửi báo cáo; còn 3 đơn vị chưa gửi.",
]
COOPERATE_RESULTS = [
    "Đã cung cấp số liệu, ý kiến phối hợp cho đơn vị chủ trì.",
    "Đã có ý kiến góp ý bằng văn bản gửi đơn vị chủ trì.",
]


@dataclass
class Plan:
    """One document's fate, decided before anything is written."""
    arrival: datetime  # naive Vietnam time
    state: str
    age: int = 0  # working days since arrival
    timing: str | None = None  # in progress: overdue | due_soon | later
    secret: bool = False
    urgency: int = 0  # UrgencyLevel.priority
    unit: str = ""
    officer: str | None = None  # the unit leader passes it on to this officer
    topic: tuple | None = None


# ---------------------------------------------------------------- dates

def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 if end <= start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count += 1
    return count


def working_days_before(day: date, days: int) -> date:
    while days > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def plan_arrivals(rng: random.Random, count: int, now: datetime,
                  days: int = WINDOW_DAYS) -> list[datetime]:
    """`count` arrival moments (naive Vietnam time) on working days of the last `days` days,
    in office hours, none in the future; sorted."""
    today = now.date()
    latest_today = min(datetime.combine(today, DAY_END), now - timedelta(minutes=10))
    open_today = latest_today >= datetime.combine(today, DAY_START) + timedelta(minutes=30)
    candidates = [today - timedelta(days=i) for i in range(days, -1, -1)]
    candidates = [d for d in candidates if d.weekday() < 5 and (d < today or open_today)]
    arrivals = []
    for _ in range(count):
        day = rng.choice(candidates)
        start = datetime.combine(day, DAY_START)
        end = datetime.combine(day, DAY_END) if day < today else latest_today
        arrivals.append(start + timedelta(minutes=rng.randint(
            0, int((end - start).total_seconds() // 60))))
    return sorted(arrivals)


# ---------------------------------------------------------------- the plan

def _weighted(rng, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def make_plan(rng: random.Random, count: int, now: datetime, history: int = 0) -> list[Plan]:
    """States, timings, units and officers of `count` documents, with the guarantees the demo
    promises (overdue ones, some of them with chuyenvien; things due soon; chuyenvien's work).
    `history` of them arrived in the HISTORY_DAYS before the window (mostly completed, on time
    or late, as their age makes them)."""
    today = now.date()
    arrivals = plan_arrivals(rng, count - history, now)
    if history:
        arrivals = plan_arrivals(rng, history, now - timedelta(days=WINDOW_DAYS + 1),
                                 days=HISTORY_DAYS) + arrivals
    n_pending = max(1, min(5, round(count * 0.02)))
    n_waiting = max(1, round(count * 0.02))   # registered, not yet presented (Chờ trình)
    n_submitted = max(1, round(count * 0.04))  # presented, waiting for a direction
    plans = [Plan(a, PENDING) for a in arrivals[len(arrivals) - n_pending:]]
    registered = [Plan(a, COMPLETED) for a in arrivals[:len(arrivals) - n_pending]]
    for plan in registered:
        plan.age = working_days_between(plan.arrival.date(), today)
    # ~12% urgent: about 60% Khẩn, 25% Thượng khẩn, 15% Hỏa tốc
    urgent = rng.sample(registered, round(len(registered) * 0.12))
    for index, plan in enumerate(urgent):
        share = index / len(urgent)
        plan.urgency = 3 if share < 0.15 else 2 if share < 0.4 else 1
    newest = registered[::-1]
    for plan in newest[:n_waiting]:
        plan.state = REGISTERED
    for plan in newest[n_waiting:n_waiting + n_submitted]:
        plan.state = SUBMITTED
    for plan in newest[n_waiting + n_submitted:]:
        p_open = (0.85 if plan.age <= 8 else 0.45 if plan.age <= 25
                  else 0.18 if plan.age <= 45 else 0.05)
        if plan.urgency:
            p_open /= 2
        if rng.random() < p_open:
            plan.state = IN_PROGRESS
            plan.timing = _timing(rng, plan)

    secret = rng.sample(range(len(registered)), min(len(registered),
                                                    max(1, round(count * 0.02))))
    for index in secret:
        registered[index].secret = True
        registered[index].topic = SECRET_TOPICS[secret.index(index) % len(SECRET_TOPICS)]
        registered[index].unit = registered[index].topic[0]

    open_plans = [p for p in registered if p.state == IN_PROGRESS]
    _ensure_timing(rng, registered, open_plans, "overdue", 6)
    _ensure_timing(rng, registered, open_plans, "due_soon", 3)

    for plan in registered + plans:
        if not plan.unit:
            plan.unit = _weighted(rng, list(UNIT_WEIGHTS.items()))
    # Some overdue work sits with chuyenvien, the documented officer account.
    overdue = [p for p in registered if p.timing == "overdue" and not p.secret]
    for plan in rng.sample(overdue, min(3, len(overdue))):
        plan.unit, plan.officer = "CCHC", "chuyenvien"
    for plan in registered:
        if plan.state in (IN_PROGRESS, COMPLETED) and plan.officer is None:
            officers = UNITS[plan.unit][2]
            if officers and rng.random() < 0.8:
                plan.officer = _weighted(rng, officers)
    # chuyenvien holds at least ten lines.
    held = [p for p in registered if p.officer == "chuyenvien"]
    others = [p for p in registered if p.state in (IN_PROGRESS, COMPLETED) and not p.secret
              and p.officer != "chuyenvien"]
    others.sort(key=lambda p: (p.unit != "CCHC", p.arrival))
    for plan in others[:max(0, 10 - len(held))]:
        plan.unit, plan.officer = "CCHC", "chuyenvien"
    return registered + plans


def _timing(rng, plan):
    if plan.age < 2:
        return "due_soon" if plan.urgency or rng.random() < 0.4 else "later"
    if plan.urgency:  # an urgent document still open after two days is late
        return "overdue"
    p_overdue = 0.08 if plan.age <= 10 else 0.3 if plan.age <= 25 else 0.55
    r = rng.random()
    return "overdue" if r < p_overdue else "due_soon" if r < p_overdue + 0.2 else "later"


def _ensure_timing(rng, registered, open_plans, timing, minimum):
    """At least `minimum` in-progress documents with `timing`: retime open ones first, then
    reopen completed ones of a plausible age."""
    have = [p for p in open_plans if p.timing == timing]
    candidates = [p for p in open_plans if p.timing != timing and p.age >= 3
                  and not p.urgency and not (timing == "overdue" and p.timing == "due_soon")]
    candidates += [p for p in registered if p.state == COMPLETED and 5 <= p.age <= 40
                   and not p.urgency]
    for plan in candidates[:max(0, minimum - len(have))]:
        if plan.state == COMPLETED:
            plan.state = IN_PROGRESS
            open_plans.append(plan)
        plan.timing = timing


# ---------------------------------------------------------------- the demo

class _Demo:
    def __init__(self, app, rng, now):
        self.app, self.rng, self.now = app, rng, now
        self.today = now.date()
        self.session = db.session
        s = self.session
        self.users = {u.username: u for u in s.scalars(select(EofficeUser))}
        self.departments = {d.code: d.id for d in s.scalars(select(Department))}
        self.types = {t.name: (t.id, t.abbreviation) for t in s.scalars(select(DocumentType))}
        self.fields = {f.code: f.id for f in s.scalars(select(Field))}
        self.urgency = {u.priority: u.id for u in s.scalars(select(UrgencyLevel))}
        self.secrecy = {x.level: x.id for x in s.scalars(select(SecrecyLevel))}
        names = {short: name for name, short, *_ in seed_data.AGENCIES}
        by_name = {a.name: a.id for a in s.scalars(select(Agency))}
        self.agencies = {short: by_name[names[short]] for short in AGENCY_STYLE
                         if names.get(short) in by_name}
        self.font = current_app.config["PDF_FONT_PATH"]
        self.due_soon_days = current_app.config["DUE_SOON_DAYS"]
        self.used_numbers = set()
        self.last_numbers = {}
        self.used_replies = set()
        self.registers = {}

    # ------------------------------------------------------------ lookups

    def register_id(self, year, secret):
        key = (year, secret)
        if key not in self.registers:
            names = [name for direction, name, is_secret in seed_data.registers_for(year)
                     if direction == "in" and is_secret == secret]
            self.registers[key] = self.session.scalar(select(Register.id).where(
                Register.direction == "in", Register.year == year, Register.active.is_(True),
                Register.is_secret.is_(secret), Register.name.in_(names)))
        return self.registers[key]

    def ensure_registers(self, years):
        """The register's year is the arrival year: registers for every year in the window."""
        for year in sorted(years):
            if self.register_id(year, False) is None or self.register_id(year, True) is None:
                seed_catalogs(self.session, year=year)
                self.session.commit()
                self.registers.pop((year, False), None)
                self.registers.pop((year, True), None)

    def user(self, username):
        return self.users[username]

    # ------------------------------------------------------------ content

    def content(self, plan):
        rng = self.rng
        if plan.topic is None:
            topics = [t for t in TOPICS if t[0] == plan.unit and t[2] in self.types]
            plan.topic = _weighted(rng, [(t, 3 if t[2] == CV else 1) for t in topics])
        unit, field, type_name, excerpt, agencies = plan.topic
        agency = rng.choice([a for a in agencies if a in self.agencies]
                            or sorted(self.agencies))
        electronic = plan.state == PENDING or (not plan.secret and rng.random() < 0.65)
        channel = (("exchange" if rng.random() < 0.35 else "electronic") if electronic
                   else "paper")
        lag = rng.choice([0, 0, 1]) if electronic else rng.randint(1, 5)
        document_date = working_days_before(plan.arrival.date(), lag)
        y, month = document_date.year, document_date.month
        quarter = (month - 1) // 3 + 1
        excerpt = excerpt.format(
            y=y, y0=y - 1, y1=y + 1, q=("I", "II", "III", "IV")[quarter - 1],
            h="I" if month <= 6 else "II", months=max(3, (quarter - 1) * 3), m=month)
        cv_symbol, symbol, cv_units, per_year, place, signers = AGENCY_STYLE[agency]
        type_id, abbreviation = self.types[type_name]
        rate = per_year * TYPE_SHARE.get(type_name, 0.05)
        series = (agency, abbreviation, y)  # Công văn of all an agency's units share one series
        number = max(int(rate * document_date.timetuple().tm_yday / 365
                         * rng.uniform(0.985, 1.01)), self.last_numbers.get(series, 0) + 1)
        while True:
            number_symbol = (f"{number}/{cv_symbol}-{rng.choice(cv_units)}" if not abbreviation
                             else f"{number}/{abbreviation}-{symbol}")
            if (agency, number_symbol) not in self.used_numbers:
                break
            number += 1
        self.used_numbers.add((agency, number_symbol))
        self.last_numbers[series] = number
        signer_name, signer_position = rng.choice(signers)
        return {
            "unit": unit, "field": field, "type_name": type_name, "agency": agency,
            "channel": channel, "document_date": document_date, "excerpt": excerpt,
            "number_symbol": number_symbol, "signer_name": signer_name,
            "signer_position": signer_position, "place": place,
        }

    def pdf(self, c, due):
        agency_name = next(name for name, short, *_ in seed_data.AGENCIES
                           if short == c["agency"])
        d = c["document_date"]
        lines = [agency_name.upper(), f"Số: {c['number_symbol']}",
                 f"{c['place']}, ngày {d.day:02d} tháng {d.month:02d} năm {d.year}",
                 c["excerpt"]]
        if c["type_name"] in ADDRESSED:
            lines.append("Kính gửi: Sở Nội vụ tỉnh Hà Nam")
        lines += [line.format(agency=agency_name, due=due.strftime("%d/%m/%Y"))
                  for line in BODY[c["type_name"]]]
        lines += ["Nơi nhận: Như trên; Lưu: VT.", c["signer_position"].upper(),
                  c["signer_name"]]
        return make_demo_pdf(c["type_name"].upper(), lines, font_path=self.font)

    def deadline(self, plan, c):
        """The direction's deadline (hạn xử lý), consistent with the plan's timing."""
        rng, arrival = self.rng, plan.arrival.date()
        if plan.timing == "overdue":
            first = add_working_days(arrival, 1)
            last = working_days_before(self.today, 1)
            days = working_days_between(first, last)
            return add_working_days(first, rng.randint(max(0, days - 15), days))
        if plan.timing == "due_soon":
            return add_working_days(self.today, rng.randint(0, self.due_soon_days))
        if plan.timing == "later":
            return add_working_days(self.today, rng.randint(3, 12))
        if plan.urgency:
            return add_working_days(arrival, {1: 3, 2: 2, 3: 1}[plan.urgency])
        if c["type_name"] == GM:
            return add_working_days(arrival, rng.randint(2, 5))
        return add_working_days(arrival, rng.randint(5, 15) if c["type_name"] in (CV, TTR, BC)
                                else rng.randint(10, 20))

    # ------------------------------------------------------------ the timeline

    def after(self, previous, max_days=0, min_minutes=5, max_minutes=180):
        """A moment in office hours, 0..max_days working days after `previous`, never
        before it and never in the future."""
        rng = self.rng
        day = add_working_days(previous.date(), rng.randint(0, max_days)) if max_days \
            else previous.date()
        moment = None
        if day == previous.date() and previous.weekday() < 5:
            start = previous + timedelta(minutes=min_minutes)
            end = min(datetime.combine(day, OFFICE_END), start + timedelta(minutes=max_minutes))
            if start < end:
                moment = start + timedelta(minutes=rng.randint(
                    0, int((end - start).total_seconds() // 60)))
            else:
                day = add_working_days(day, 1)
        if moment is None:
            moment = datetime.combine(day, OFFICE_START) + timedelta(
                minutes=rng.randint(0, 9 * 60))
        return self.clamp(moment, previous)

    def on_day(self, day, previous):
        if day <= previous.date():
            return self.after(previous)
        moment = datetime.combine(day, OFFICE_START) + timedelta(
            minutes=self.rng.randint(0, 9 * 60))
        return self.clamp(moment, previous)

    def clamp(self, moment, previous):
        return max(min(moment, self.now - timedelta(minutes=1)), previous)

    def reply_reference(self, c, when):
        kind = "report" if c["type_name"] == CV and "báo cáo" in c["excerpt"] else "reply"
        number = when.timetuple().tm_yday * 7 + self.rng.randint(0, 6)
        while (kind, number, when.year) in self.used_replies:
            number += 1
        self.used_replies.add((kind, number, when.year))
        unit = "TĐKT" if c["unit"] == "TĐKT" else c["unit"]
        return f"{number}/BC-SNV" if kind == "report" else f"{number}/SNV-{unit}"

    # ------------------------------------------------------------ one document

    def create(self, plan):
        s = self.session
        c = self.content(plan)
        deadline = self.deadline(plan, c)
        year = plan.arrival.year
        data = {
            "register_id": self.register_id(year, plan.secret),
            "arrival_at": plan.arrival, "channel": c["channel"],
            "agency_id": self.agencies[c["agency"]], "number_symbol": c["number_symbol"],
            "document_date": c["document_date"],
            "document_type_id": self.types[c["type_name"]][0], "excerpt": c["excerpt"],
            "signer_name": c["signer_name"], "signer_position": c["signer_position"],
            "field_id": self.fields.get(c["field"]), "urgency_id": self.urgency[plan.urgency],
            "secrecy_id": self.secrecy[1 if plan.secret else 0],
            "notes": "Văn bản mật: bì dán kín, chuyển trực tiếp" if plan.secret else None,
        }
        filename = c["number_symbol"].replace("/", "-") + (
            ".signed.pdf" if c["channel"] != "paper" else ".pdf")
        uploads = [(self.pdf(c, deadline), filename)]
        marks = []  # (action, local time) in the order the services write events
        self.line_times = {}  # line id → [assigned, completed] (local time)
        clerk = self.user(CLERK)
        if plan.state == PENDING:
            document = services.register_incoming(s, clerk, data, uploads, state=PENDING)
            marks.append(("receive", plan.arrival))
            self.backdate(document, marks)
            return document
        submit = plan.state != REGISTERED
        document = services.register_incoming(s, clerk, data, uploads, submit=submit)
        marks.append(("register", plan.arrival))
        if submit:
            marks.append(("submit", self.after(plan.arrival, min_minutes=10, max_minutes=120)))
        if plan.state in (IN_PROGRESS, COMPLETED):
            self.route(plan, c, document, deadline, marks)
        self.backdate(document, marks)
        return document

    def route(self, plan, c, document, deadline, marks):
        """The leader's direction, the unit's delegation, progress and completion, each step
        by the person whose job it is, at a moment after the previous step."""
        s, rng = self.session, self.rng
        unit_name, unit_leader, _officers = UNITS[plan.unit]
        important = plan.secret or plan.urgency or c["agency"] in ("UBND tỉnh",) + CENTRAL
        leader = DIRECTOR if rng.random() < (0.6 if important else 0.25) else DEPUTY[plan.unit]
        arrival = plan.arrival.date()
        lines = [{"role": LEAD, "department_id": self.departments[plan.unit],
                  "deadline": deadline}]
        cooperating = None
        if not plan.secret and rng.random() < 0.25:
            cooperating = rng.choice(COOPERATING[plan.unit])
            coop_deadline = working_days_before(deadline, 1)
            lines.append({"role": COOPERATE, "department_id": self.departments[cooperating],
                          "deadline": coop_deadline if coop_deadline >= arrival else deadline})
        fyi = None
        if not plan.secret and (c["type_name"] == GM or rng.random() < 0.2):
            fyi = DEPUTY[plan.unit] if leader == DIRECTOR else rng.choice(
                [DIRECTOR, "lanhdaovp"])
            lines.append({"role": FYI, "user_id": self.user(fyi).id})
        direction = self.direction(plan, c, deadline, unit_name, cooperating, fyi)
        services.assign(s, self.user(leader), document, direction, lines, deadline=deadline)
        assigned = self.mark(marks, "assign", max_days=0 if plan.urgency else 2)
        top = {("d", a.department_id) if a.user_id is None else ("u", a.user_id): a
               for a in document.assignments}
        lead = top[("d", self.departments[plan.unit])]
        for line in document.assignments:
            self.line_times[line.id] = [assigned, None]
        if fyi and rng.random() < 0.7:
            line = top[("u", self.user(fyi).id)]
            services.acknowledge(s, self.user(fyi), document, line.id)
            self.line_times[line.id][1] = self.mark(marks, "acknowledge", max_days=1)
        holder, work_line = self.user(unit_leader), lead
        completed = plan.state == COMPLETED
        if plan.officer:
            officer = self.user(plan.officer)
            officer_deadline = working_days_before(deadline, 1)
            if plan.timing or officer_deadline < arrival:
                officer_deadline = None  # the officer inherits the unit's deadline
            shown = (officer_deadline or deadline).strftime("%d/%m/%Y")
            services.delegate(s, holder, document, lead.id, officer.id, officer_deadline,
                              f"Đ/c {officer.full_name} nghiên cứu, tham mưu, trình lãnh đạo "
                              f"phòng trước ngày {shown}.")
            delegated = self.mark(marks, "delegate", max_days=1)
            work_line = next(a for a in document.assignments if a.parent_id == lead.id)
            self.line_times[work_line.id] = [delegated, None]
            if completed and plan.unit == "TCBC" and rng.random() < 0.15:
                work_line = self.returned(plan, document, lead, work_line, marks)
            holder = self.users[work_line.user.username]
        if cooperating and (completed or rng.random() < 0.5):
            line = top[("d", self.departments[cooperating])]
            services.complete(s, self.user(UNITS[cooperating][1]), document, line.id,
                              rng.choice(COOPERATE_RESULTS))
            self.line_times[line.id][1] = self.mark(marks, "complete", max_days=3)
        if rng.random() < (0.4 if completed else 0.65):
            services.record_progress(s, holder, document, work_line.id,
                                     rng.choice(PROGRESS_NOTES))
            self.mark(marks, "progress", max_days=2)
        if not completed:
            return
        previous = marks[-1][1]
        if rng.random() < 0.85:  # on time
            last = min(deadline, self.today)
            days = working_days_between(previous.date(), last)
            day = add_working_days(previous.date(), rng.randint(0, days)) if days > 0 \
                else previous.date()
        else:
            day = min(add_working_days(deadline, rng.randint(1, 5)), self.today)
        done = self.on_day(day, previous)
        reply = None
        if c["type_name"] in (CV, TTR) and rng.random() < 0.7:
            reply = self.reply_reference(c, done)
        services.complete(s, holder, document, work_line.id, self.result(c, reply), reply)
        marks.append(("complete", done))
        self.line_times[work_line.id][1] = done
        self.line_times[lead.id][1] = done

    def mark(self, marks, action, max_days=0):
        """Record that `action` happened a little after the previous step; its moment."""
        moment = self.after(marks[-1][1], max_days=max_days)
        marks.append((action, moment))
        return moment

    def returned(self, plan, document, lead, line, marks):
        """An officer hands the work back to the unit leader, who gives it to a colleague."""
        s = self.session
        others = [o for o, _w in UNITS[plan.unit][2] if o != plan.officer]
        if not others:
            return line
        other = self.user(others[0])
        services.return_line(s, self.users[line.user.username], document, line.id,
                             f"Nội dung thuộc lĩnh vực đ/c {other.full_name} theo dõi, đề nghị "
                             "lãnh đạo phòng giao lại.")
        self.line_times[line.id][1] = self.mark(marks, "return", max_days=1)
        services.delegate(s, self.user(UNITS[plan.unit][1]), document, lead.id, other.id, None,
                          f"Đ/c {other.full_name} tiếp nhận, xử lý.")
        again = self.mark(marks, "delegate", max_days=1)
        new_line = [a for a in document.assignments if a.parent_id == lead.id][-1]
        self.line_times[new_line.id] = [again, None]
        plan.officer = other.username
        return new_line

    def direction(self, plan, c, deadline, unit_name, cooperating, fyi):
        rng, d = self.rng, deadline.strftime("%d/%m/%Y")
        coop = f", phối hợp với {UNITS[cooperating][0]}" if cooperating else ""
        if plan.secret:
            text = (f"Giao {unit_name} chủ trì, xử lý theo quy định về bảo vệ bí mật nhà nước; "
                    f"báo cáo trực tiếp Giám đốc trước ngày {d}.")
        elif c["type_name"] == GM:
            text = (f"Giao {unit_name} chuẩn bị nội dung, báo cáo{coop}; cử đại diện dự họp và "
                    "báo cáo kết quả.")
        else:
            text = rng.choice([
                f"Giao {unit_name} chủ trì{coop}, tham mưu văn bản trả lời trước ngày {d}.",
                f"Giao {unit_name} chủ trì{coop}, nghiên cứu, tham mưu triển khai thực hiện; "
                f"báo cáo kết quả trước ngày {d}.",
                f"Chuyển {unit_name} nghiên cứu, đề xuất{coop}; hoàn thành trước ngày {d}.",
                f"Giao {unit_name} chủ trì{coop}, tổng hợp, tham mưu báo cáo theo yêu cầu "
                f"trước ngày {d}.",
            ])
        if plan.urgency:
            text = {1: "Khẩn. ", 2: "Thượng khẩn. ", 3: "Hỏa tốc. "}[plan.urgency] + text
        if fyi:
            text += f" Đ/c {self.user(fyi).full_name} biết, theo dõi."
        return text

    @staticmethod
    def result(c, reply):
        if c["type_name"] == GM:
            return "Đã cử đại diện lãnh đạo Sở dự họp; nội dung kết luận đã báo cáo Giám đốc."
        if reply and reply.startswith(tuple("0123456789")) and "/BC-" in reply:
            return f"Đã tổng hợp, tham mưu Sở gửi Báo cáo số {reply} đúng yêu cầu."
        if reply:
            return f"Đã tham mưu Sở ban hành văn bản số {reply} trả lời."
        if c["type_name"] in (QD, KH, HD, TB):
            return "Đã tham mưu triển khai tới các phòng, đơn vị thuộc Sở; lưu hồ sơ theo dõi."
        return "Đã nghiên cứu, xử lý theo yêu cầu; lưu hồ sơ công việc."

    def backdate(self, document, marks):
        """Move the timestamps the services wrote (now) onto the planned timeline."""
        queues = defaultdict(deque)
        for action, moment in marks:
            queues[action].append(local_to_utc(moment))
        arrived = local_to_utc(marks[0][1])
        last_complete, latest = None, arrived
        for event in document.events:
            if event.action == "document_completed" and last_complete:
                event.at = last_complete
            elif queues[event.action]:
                event.at = queues[event.action].popleft()
                if event.action == "complete":
                    last_complete = event.at
            latest = max(latest, event.at)
        for line in document.assignments:
            assigned, completed = self.line_times.get(line.id, (None, None))
            if assigned:
                line.assigned_at = local_to_utc(assigned)
            if completed and line.completed_at:
                line.completed_at = local_to_utc(completed)
        document.created_at = arrived
        for file in document.files:
            file.uploaded_at = arrived
        if document.completed_at and last_complete:
            document.completed_at = last_complete
        document.updated_at = latest
        self.session.commit()


def create_incoming_demo(app, count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED, *,
                         now: datetime | None = None) -> dict:
    """`count` incoming documents, two thirds over the four months before `now` (naive Vietnam
    time, default: now) and one third over the year before, in every state; nothing if any
    incoming document exists. Returns {state: count} of what was created."""
    session = db.session
    if session.scalar(select(func.count()).select_from(IncomingDocument)):
        click.echo("Văn bản đến mẫu: đã có dữ liệu, bỏ qua.")
        return {}
    rng = random.Random(seed)
    now = min(now or local_now(), local_now())
    plans = make_plan(rng, count, now, history=count // HISTORY_SHARE)
    demo = _Demo(app, rng, now)
    missing = [u for u in [CLERK, DIRECTOR, *DEPUTY.values(), *(x[1] for x in UNITS.values()),
                           *(o for x in UNITS.values() for o, _w in x[2])]
               if u not in demo.users]
    if missing:
        click.echo("Văn bản đến mẫu: thiếu tài khoản mẫu " + ", ".join(sorted(set(missing))))
        return {}
    demo.ensure_registers({p.arrival.year for p in plans})
    states = Counter()
    for plan in sorted(plans, key=lambda p: p.arrival):
        try:
            demo.create(plan)
        except DomainError as error:
            details = getattr(error, "errors", None)
            raise RuntimeError(f"Demo incoming document arriving {plan.arrival:%d/%m/%Y %H:%M} "
                               f"({plan.state}, {plan.topic and plan.topic[3]}): {error}"
                               f"{' ' + repr(details) if details else ''}") from error
        states[plan.state] += 1
    summary = {state: states[state] for state in STATES if states[state]}
    click.echo(f"Văn bản đến mẫu: {sum(states.values())} ("
               + ", ".join(f"{STATES[k]} {v}" for k, v in summary.items()) + ")")
    return summary
