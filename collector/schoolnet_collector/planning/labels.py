"""Words the planners read, in Vietnamese and English: level names, indicator and column names.

Vietnamese is the default (the reports go to the Sở and the province); English is there for
the project's own people and partners. One table per kind of word, so a missing translation
shows up as a KeyError in the tests, not as a blank cell in a report.
"""

from __future__ import annotations

LANGS = ("vi", "en")

LEVELS = {
    "mam_non": ("Mầm non", "Preschool"),
    "tieu_hoc": ("Tiểu học", "Primary"),
    "thcs": ("THCS", "Lower secondary"),
    "thpt": ("THPT", "Upper secondary"),
    "gdtx": ("GDNN-GDTX", "Continuing education"),
    "lien_cap": ("Liên cấp", "Multi-level"),
    "other": ("Khác", "Other"),
}
LEVEL_ORDER = tuple(LEVELS)

INDICATORS = {
    "schools": ("Số trường", "Schools"),
    "internet": ("Có kết nối Internet", "With internet"),
    "fixed_broadband": ("Có Internet cáp quang/cố định", "On fixed broadband"),
    "cellular": ("Chỉ có 3G (USB Dcom)", "USB 3G only"),
    "no_internet": ("Không có Internet", "No internet"),
    "availability": ("Đường truyền hoạt động trong giờ học", "Uplink up during school hours"),
    "rtt_ms": ("Độ trễ trung vị (ms)", "Median latency (ms)"),
    "loss_percent": ("Tỷ lệ mất gói trung vị (%)", "Median packet loss (%)"),
    "lab": (
        "Trường có phòng máy hoạt động – {level}",
        "Schools with a working computer lab – {level}",
    ),
    "lab_record": (
        "Trường có phòng máy theo hồ sơ – {level}",
        "Schools with a computer lab on record – {level}",
    ),
    "pcs_working": ("Máy tính hoạt động trên số kiểm kê", "Working PCs of those on record"),
    "students_per_pc": (
        "Học sinh trên một máy tính phòng máy hoạt động",
        "Students per working lab PC",
    ),
    "projectors_working": ("Máy chiếu hoạt động", "Projectors working"),
    "boards_working": ("Bảng tương tác hoạt động", "Interactive boards working"),
    "digital_record": (
        "Thiết bị có hồ sơ số (tự kiểm kê)",
        "Equipment with a digital record (auto-inventoried)",
    ),
    "meeting_points": (
        "Điểm họp trực tuyến tại trường THPT hoạt động",
        "Online meeting points working at THPT schools",
    ),
    "districts_meeting_online": (
        "Phòng GDĐT có trường đủ điều kiện họp trực tuyến",
        "Districts with a school able to host an online meeting",
    ),
}

COLUMNS = {
    "scope": ("Phạm vi", "Scope"),
    "group": ("Nhóm", "Group"),
    "id": ("Mã", "Id"),
    "name": ("Tên", "Name"),
    "indicator": ("Chỉ số", "Indicator"),
    "value": ("Giá trị", "Value"),
    "numerator": ("Tử số", "Numerator"),
    "denominator": ("Mẫu số", "Denominator"),
    "unit": ("Đơn vị", "Unit"),
    "target": ("Mục tiêu", "Target"),
    "target_year": ("Năm mục tiêu", "Target year"),
    "gap": ("Còn thiếu", "Gap"),
    "source": ("Nguồn (kế hoạch)", "Source (plan)"),
    "school": ("Trường", "School"),
    "district": ("Huyện/Thành phố", "District"),
    "level": ("Cấp học", "Level"),
    "students": ("Số học sinh", "Students"),
    "uplink": ("Kết nối", "Uplink"),
    "device": ("Thiết bị", "Device"),
    "kind": ("Loại", "Kind"),
    "room": ("Phòng", "Room"),
    "year": ("Năm", "Year"),
    "age": ("Tuổi (năm)", "Age (years)"),
    "score": ("Điểm", "Score"),
    "verdict": ("Kết luận", "Verdict"),
    "reasons": ("Lý do", "Reasons"),
    "pcs": ("Máy tính cần thay", "PCs to replace"),
    "labs_replace": ("Phòng máy cần thay", "Labs to replace"),
    "labs_add": ("Phòng máy cần bổ sung", "Labs to add"),
    "projectors": ("Máy chiếu cần thay", "Projectors to replace"),
    "boards": ("Bảng tương tác cần thay", "Boards to replace"),
    "cost": ("Kinh phí ước tính (VND)", "Estimated cost (VND)"),
    "summary": ("Tổng hợp", "Summary"),
    "devices": ("Thiết bị cần thay", "Devices to replace"),
    "horizon": ("Kế hoạch 5 năm", "Five-year horizon"),
    "province": ("Toàn tỉnh", "Province"),
}

UPLINKS = {"fixed": ("Cố định", "Fixed"), "cellular": ("3G", "3G"), "none": ("Không", "None")}
VERDICTS = {"replace": ("Thay thế", "Replace"), "watch": ("Theo dõi", "Watch"), "ok": ("Tốt", "OK")}
GROUP_KINDS = {
    "province": ("Tỉnh", "Province"),
    "district": ("Huyện", "District"),
    "level": ("Cấp học", "Level"),
    "school": ("Trường", "School"),
    "year": ("Năm", "Year"),
}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "vi" else pair[1]


def level_name(level: str, lang: str) -> str:
    return pick(LEVELS.get(level, (level, level)), lang)


def column(key: str, lang: str) -> str:
    return pick(COLUMNS[key], lang)
