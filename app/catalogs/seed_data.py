"""The values the catalogs start with (Decree 30/2020/NĐ-CP, Appendix III; QCVN 102:2016).

Data, not code: a correction is one edit here, and `flask eoffice seed` adds what is missing
without touching what the clerk has changed.
"""
from datetime import date

ADMINISTRATIVE, LEGAL = 1, 2

# (name, abbreviation, kind) — Appendix III, in its order; then the legal normative types
# that agencies receive.
DOCUMENT_TYPES = [
    ("Nghị quyết", "NQ", ADMINISTRATIVE),
    ("Quyết định", "QĐ", ADMINISTRATIVE),
    ("Chỉ thị", "CT", ADMINISTRATIVE),
    ("Quy chế", "QC", ADMINISTRATIVE),
    ("Quy định", "QyĐ", ADMINISTRATIVE),
    ("Thông cáo", "TC", ADMINISTRATIVE),
    ("Thông báo", "TB", ADMINISTRATIVE),
    ("Hướng dẫn", "HD", ADMINISTRATIVE),
    ("Chương trình", "CTr", ADMINISTRATIVE),
    ("Kế hoạch", "KH", ADMINISTRATIVE),
    ("Phương án", "PA", ADMINISTRATIVE),
    ("Đề án", "ĐA", ADMINISTRATIVE),
    ("Dự án", "DA", ADMINISTRATIVE),
    ("Báo cáo", "BC", ADMINISTRATIVE),
    ("Biên bản", "BB", ADMINISTRATIVE),
    ("Tờ trình", "TTr", ADMINISTRATIVE),
    ("Hợp đồng", "HĐ", ADMINISTRATIVE),
    ("Công văn", None, ADMINISTRATIVE),
    ("Công điện", "CĐ", ADMINISTRATIVE),
    ("Bản ghi nhớ", "BGN", ADMINISTRATIVE),
    ("Bản thỏa thuận", "BTT", ADMINISTRATIVE),
    ("Giấy ủy quyền", "GUQ", ADMINISTRATIVE),
    ("Giấy mời", "GM", ADMINISTRATIVE),
    ("Giấy giới thiệu", "GGT", ADMINISTRATIVE),
    ("Giấy nghỉ phép", "GNP", ADMINISTRATIVE),
    ("Phiếu gửi", "PG", ADMINISTRATIVE),
    ("Phiếu chuyển", "PC", ADMINISTRATIVE),
    ("Phiếu báo", "PB", ADMINISTRATIVE),
    ("Thư công", None, ADMINISTRATIVE),
    ("Luật", None, LEGAL),
    ("Pháp lệnh", None, LEGAL),
    ("Nghị định", "NĐ", LEGAL),
    ("Thông tư", "TT", LEGAL),
    ("Thông tư liên tịch", "TTLT", LEGAL),
]

# (priority, name, handled immediately, default processing deadline in working days)
# — edXML OtherInfo/Priority. The decree fixes no number of days: these are the agency's.
URGENCY_LEVELS = [
    (0, "Thường", False, None),
    (1, "Khẩn", True, 3),
    (2, "Thượng khẩn", True, 2),
    (3, "Hỏa tốc", True, 1),
]

SECRECY_LEVELS = [(0, "Thường"), (1, "Mật"), (2, "Tối mật"), (3, "Tuyệt mật")]

# (years or None for permanent, name) — the Ministry of Home Affairs' retention table
RETENTION_PERIODS = [
    (None, "Vĩnh viễn"),
    (70, "70 năm"),
    (50, "50 năm"),
    (20, "20 năm"),
    (10, "10 năm"),
    (5, "05 năm"),
    (2, "02 năm"),
]

# (code, name) — common fields of a provincial administration
FIELDS = [
    ("TCCB", "Tổ chức cán bộ"),
    ("VTLT", "Văn thư, lưu trữ"),
    ("CCHC", "Cải cách hành chính"),
    ("TDKT", "Thi đua, khen thưởng"),
    ("TCNS", "Tài chính, ngân sách"),
    ("KHĐT", "Kế hoạch, đầu tư"),
    ("ĐĐ", "Đất đai"),
    ("TNMT", "Tài nguyên, môi trường"),
    ("XD", "Xây dựng"),
    ("GTVT", "Giao thông vận tải"),
    ("NN", "Nông nghiệp, phát triển nông thôn"),
    ("CT", "Công thương"),
    ("GDĐT", "Giáo dục, đào tạo"),
    ("YT", "Y tế"),
    ("VHTT", "Văn hóa, thể thao, du lịch"),
    ("LĐXH", "Lao động, thương binh, xã hội"),
    ("TTTT", "Thông tin, truyền thông"),
    ("TP", "Tư pháp"),
    ("TTKN", "Thanh tra, khiếu nại, tố cáo"),
    ("QPAN", "Quốc phòng, an ninh"),
    ("DTTG", "Dân tộc, tôn giáo"),
    ("KHCN", "Khoa học, công nghệ"),
]

# (name, short name, electronic ID, legacy QCVN 102 code, address) — agencies the demo agency
# corresponds with most. Electronic IDs follow the 000.00.00.H30 form of QĐ 20/2020/QĐ-TTg.
AGENCIES = [
    ("Ủy ban nhân dân tỉnh Hà Nam", "UBND tỉnh", "000.00.00.H30", "000.00.00.H30",
     "Đường Trần Phú, phường Quang Trung, thành phố Phủ Lý, tỉnh Hà Nam"),
    ("Văn phòng Ủy ban nhân dân tỉnh Hà Nam", "VP UBND tỉnh", "000.00.01.H30", None,
     "Đường Trần Phú, thành phố Phủ Lý, tỉnh Hà Nam"),
    ("Sở Nội vụ tỉnh Hà Nam", "SNV", "000.00.04.H30", None, "Thành phố Phủ Lý, tỉnh Hà Nam"),
    ("Sở Tài chính tỉnh Hà Nam", "STC", "000.00.07.H30", None, "Thành phố Phủ Lý, tỉnh Hà Nam"),
    ("Sở Kế hoạch và Đầu tư tỉnh Hà Nam", "SKHĐT", "000.00.06.H30", None,
     "Thành phố Phủ Lý, tỉnh Hà Nam"),
    ("Sở Tư pháp tỉnh Hà Nam", "STP", "000.00.05.H30", None, "Thành phố Phủ Lý, tỉnh Hà Nam"),
    ("Sở Tài nguyên và Môi trường tỉnh Hà Nam", "STNMT", "000.00.12.H30", None,
     "Thành phố Phủ Lý, tỉnh Hà Nam"),
    ("Sở Thông tin và Truyền thông tỉnh Hà Nam", "STTTT", "000.00.14.H30", None,
     "Thành phố Phủ Lý, tỉnh Hà Nam"),
    ("Sở Giáo dục và Đào tạo tỉnh Hà Nam", "SGDĐT", "000.00.17.H30", None,
     "Thành phố Phủ Lý, tỉnh Hà Nam"),
    ("Sở Y tế tỉnh Hà Nam", "SYT", "000.00.18.H30", None, "Thành phố Phủ Lý, tỉnh Hà Nam"),
    ("Ủy ban nhân dân thành phố Phủ Lý", "UBND TP Phủ Lý", "000.00.31.H30", None,
     "Thành phố Phủ Lý, tỉnh Hà Nam"),
    ("Ủy ban nhân dân huyện Kim Bảng", "UBND huyện Kim Bảng", "000.00.33.H30", None,
     "Huyện Kim Bảng, tỉnh Hà Nam"),
    ("Ủy ban nhân dân huyện Thanh Liêm", "UBND huyện Thanh Liêm", "000.00.35.H30", None,
     "Huyện Thanh Liêm, tỉnh Hà Nam"),
    ("Bộ Nội vụ", "BNV", "000.00.00.G12", None, "Số 8 Tôn Thất Thuyết, Cầu Giấy, Hà Nội"),
    ("Văn phòng Chính phủ", "VPCP", "000.00.00.G22", None, "Số 1 Hoàng Hoa Thám, Ba Đình, Hà Nội"),
    ("Cục Văn thư và Lưu trữ nhà nước", "Cục VTLTNN", "000.00.12.G12", None,
     "Số 12 Đào Tấn, Ba Đình, Hà Nội"),
]

MEETING_ROOMS = [
    ("Phòng họp số 1 (tầng 2)", "Trụ sở cơ quan, tầng 2", 30),
    ("Phòng họp số 2 (tầng 3)", "Trụ sở cơ quan, tầng 3", 15),
    ("Hội trường lớn", "Trụ sở cơ quan, tầng 1", 150),
    ("Phòng họp trực tuyến", "Trụ sở cơ quan, tầng 4", 40),
]

NEWS_CATEGORIES = [
    (1, "Tin hoạt động"),
    (2, "Chỉ đạo, điều hành"),
    (3, "Thông báo nội bộ"),
    (4, "Văn bản mới"),
    (5, "Cải cách hành chính"),
    (6, "Thi đua, khen thưởng"),
]


def registers_for(_year: int):
    """(direction, name, secret) — the registers a year starts with."""
    return [
        ("in", "Sổ văn bản đến", False),
        ("in", "Sổ văn bản đến mật", True),
        ("out", "Sổ văn bản đi", False),
        ("out", "Sổ văn bản đi mật", True),
    ]


def current_year() -> int:
    return date.today().year
