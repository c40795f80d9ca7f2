"""Words of a provincial administration, to build realistic Vietnamese register entries."""

ACTIONS = [
    "V/v triển khai", "V/v thực hiện", "V/v báo cáo kết quả", "V/v tăng cường công tác",
    "V/v góp ý dự thảo", "V/v đề nghị cung cấp thông tin về", "V/v hướng dẫn thực hiện",
    "V/v phê duyệt kế hoạch", "V/v kiểm tra, rà soát", "V/v tổ chức hội nghị về",
    "V/v đôn đốc thực hiện", "V/v tổng kết", "V/v chấn chỉnh", "V/v giải quyết kiến nghị về",
    "V/v phân bổ kinh phí", "V/v điều chỉnh", "V/v thẩm định", "V/v cử cán bộ tham gia",
    "V/v xin ý kiến về", "V/v tiếp tục đẩy mạnh", "Về việc ban hành quy chế",
    "Về việc thành lập Ban chỉ đạo", "Về việc kiện toàn", "Về việc phê duyệt đề án",
    "Quyết định về việc", "Kế hoạch", "Thông báo kết luận về", "Báo cáo tình hình",
]
SUBJECTS = [
    "cải cách hành chính", "quản lý đất đai", "thu hồi đất đai", "bồi thường, giải phóng mặt bằng",
    "xây dựng nông thôn mới", "phòng, chống thiên tai", "phòng, chống dịch bệnh",
    "chuyển đổi số", "dịch vụ công trực tuyến", "tuyển dụng công chức", "nâng lương thường xuyên",
    "đào tạo, bồi dưỡng cán bộ", "thi đua, khen thưởng", "hòa giải ở cơ sở", "hoà giải ở cơ sở",
    "tiếp công dân", "giải quyết khiếu nại, tố cáo", "phòng, chống tham nhũng",
    "thực hành tiết kiệm, chống lãng phí", "quản lý ngân sách nhà nước", "đầu tư công",
    "an toàn giao thông", "bảo vệ môi trường", "quản lý tài nguyên nước", "an ninh trật tự",
    "bảo hiểm xã hội", "giảm nghèo bền vững", "y tế cơ sở", "giáo dục mầm non",
    "văn hóa, thể thao", "du lịch", "sắp xếp đơn vị hành chính cấp xã", "vị trí việc làm",
    "tinh giản biên chế", "lưu trữ hồ sơ", "văn thư, lưu trữ", "chữ ký số",
    "quản lý quy hoạch xây dựng", "cấp giấy chứng nhận quyền sử dụng đất", "thủy lợi",
    "khoa học và công nghệ", "hỗ trợ doanh nghiệp nhỏ và vừa", "xúc tiến thương mại",
    "kế hoạch sử dụng đất", "đặc xá", "phổ biến, giáo dục pháp luật", "dân tộc, tôn giáo",
    "công tác thanh niên", "người có công với cách mạng", "trẻ em có hoàn cảnh đặc biệt",
]
SCOPES = [
    "trên địa bàn tỉnh", "tại các cơ quan, đơn vị", "cấp huyện, cấp xã", "năm {year}",
    "quý {quarter} năm {year}", "6 tháng đầu năm {year}", "giai đoạn {year}-{next}",
    "đợt {quarter} năm {year}", "tại xã {commune}", "tại huyện {district}", "",
]
DISTRICTS = ["Duy Tiên", "Kim Bảng", "Thanh Liêm", "Bình Lục", "Lý Nhân", "Phủ Lý", "Hòa Bình",
             "Đông Hòa", "Liêm Tuyền", "Đồng Văn", "Châu Sơn", "Thanh Hà"]
COMMUNES = ["Liêm Cần", "Thanh Thủy", "Đọi Sơn", "Tiên Hải", "Nhân Thịnh", "Hòa Hậu",
            "Đạo Lý", "Khả Phong", "Ngọc Sơn", "Thanh Phong", "Mộc Bắc", "Đinh Xá"]
PROVINCES = [
    "Hà Nam", "Hà Nội", "Nam Định", "Ninh Bình", "Thái Bình", "Hưng Yên", "Hải Dương",
    "Hải Phòng", "Bắc Ninh", "Vĩnh Phúc", "Phú Thọ", "Thanh Hóa", "Nghệ An", "Hà Tĩnh",
    "Quảng Bình", "Quảng Trị", "Thừa Thiên Huế", "Đà Nẵng", "Quảng Nam", "Quảng Ngãi",
    "Bình Định", "Khánh Hòa", "Lâm Đồng", "Đắk Lắk", "Gia Lai", "Kon Tum", "Đồng Nai",
    "Bình Dương", "Long An", "Cần Thơ", "An Giang", "Kiên Giang", "Cà Mau", "Lào Cai",
    "Yên Bái", "Tuyên Quang", "Hà Giang", "Cao Bằng", "Lạng Sơn", "Quảng Ninh", "Điện Biên",
    "Sơn La", "Hòa Bình", "Thái Nguyên", "Bắc Giang", "Bắc Kạn", "Lai Châu",
]
# (name pattern, short name)
AGENCY_KINDS = [
    ("UBND tỉnh {p}", "UBND"), ("Sở Tài chính tỉnh {p}", "STC"), ("Sở Nội vụ tỉnh {p}", "SNV"),
    ("Sở Tài nguyên và Môi trường tỉnh {p}", "STNMT"), ("Sở Kế hoạch và Đầu tư tỉnh {p}", "SKHĐT"),
    ("Sở Xây dựng tỉnh {p}", "SXD"), ("Sở Giáo dục và Đào tạo tỉnh {p}", "SGDĐT"),
    ("Sở Y tế tỉnh {p}", "SYT"), ("Sở Tư pháp tỉnh {p}", "STP"),
    ("Sở Lao động - Thương binh và Xã hội tỉnh {p}", "SLĐTBXH"),
    ("Thanh tra tỉnh {p}", "TTr"), ("Công an tỉnh {p}", "CAT"),
]
MINISTRIES = [
    ("Bộ Nội vụ", "BNV"), ("Bộ Tài chính", "BTC"), ("Bộ Tài nguyên và Môi trường", "BTNMT"),
    ("Bộ Kế hoạch và Đầu tư", "BKHĐT"), ("Văn phòng Chính phủ", "VPCP"),
    ("Bộ Thông tin và Truyền thông", "BTTTT"), ("Bộ Tư pháp", "BTP"), ("Bộ Xây dựng", "BXD"),
    ("Bộ Y tế", "BYT"), ("Bộ Giáo dục và Đào tạo", "BGDĐT"), ("Thanh tra Chính phủ", "TTCP"),
]
UNIT_SUFFIXES = ["VP", "TH", "KT", "NC", "TCCB", "KGVX", "TCHC", "QLĐĐ", "XDCQ"]
LAST_NAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
              "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"]
MIDDLE_NAMES = ["Văn", "Thị", "Đức", "Minh", "Quốc", "Thanh", "Hữu", "Ngọc", "Xuân", "Đình"]
FIRST_NAMES = ["An", "Bình", "Cường", "Dũng", "Đạt", "Giang", "Hà", "Hải", "Hòa", "Hoà",
               "Hùng", "Khánh", "Lan", "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn",
               "Tâm", "Thủy", "Thuỷ", "Trang", "Tuấn", "Vân", "Yến"]
POSITIONS = ["Chủ tịch", "Phó Chủ tịch", "Giám đốc", "Phó Giám đốc", "Chánh Văn phòng",
             "Bộ trưởng", "Thứ trưởng", "Chánh Thanh tra"]
