"""Page text in Vietnamese (default) and English, and number/date formats for each.

Kept as one dictionary per language, not gettext catalogues: a few dozen strings, reviewed
side by side by the people who use them."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

LANGUAGES = ("vi", "en")
LANG_COOKIE = "schoolnet_lang"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

TEXT: dict[str, dict[str, str]] = {
    "vi": {
        "app": "schoolnet — Giám sát thiết bị CNTT trường học",
        "province": "Toàn tỉnh",
        "district": "Huyện / thị xã / thành phố",
        "school": "Trường",
        "districts": "Các đơn vị cấp huyện",
        "schools": "Số trường",
        "devices": "Thiết bị",
        "online": "Đang hoạt động",
        "online_share": "Tỷ lệ hoạt động",
        "total": "Tổng cộng",
        "level": "Cấp học",
        "name": "Tên",
        "kind": "Loại",
        "last_seen": "Lần cuối nhận dữ liệu",
        "state": "Trạng thái",
        "up": "Hoạt động",
        "down": "Mất kết nối",
        "uplink": "Đường truyền Internet (24 giờ qua, trung bình mỗi giờ)",
        "hour": "Giờ",
        "link_up": "Thời gian có mạng",
        "rtt": "Độ trễ (ms)",
        "loss": "Mất gói (%)",
        "no_uplink": "Chưa có dữ liệu đường truyền trong 24 giờ qua.",
        "incidents": "Sự cố đang mở",
        "no_incidents": "Không có sự cố nào đang mở.",
        "opened": "Bắt đầu",
        "severity": "Mức độ",
        "summary": "Mô tả",
        "no_devices": "Chưa có thiết bị nào gửi dữ liệu.",
        "plan": "Kế hoạch mua sắm",
        "download_xlsx": "Tải về (Excel .xlsx)",
        "download_csv": "Tải về (.csv)",
        "plan_pending": "Kế hoạch mua sắm chưa sẵn sàng trên máy chủ này.",
        "login": "Đăng nhập",
        "logout": "Đăng xuất",
        "token": "Mã truy cập (token)",
        "login_help": "Dán mã truy cập do quản trị viên cấp (bắt đầu bằng snt_).",
        "login_failed": "Mã truy cập không đúng, đã hết hạn hoặc đã bị thu hồi.",
        "signed_in_as": "Đăng nhập với",
        "back": "Quay lại",
        "not_found": "Không tìm thấy trang.",
        "forbidden": "Mã truy cập của bạn không được xem trang này.",
        "error": "Lỗi",
        "item": "Hạng mục",
        "quantity": "Số lượng",
        "cost": "Kinh phí (VND)",
    },
    "en": {
        "app": "schoolnet — school IT monitoring",
        "province": "Province",
        "district": "District",
        "school": "School",
        "districts": "Districts",
        "schools": "Schools",
        "devices": "Devices",
        "online": "Online",
        "online_share": "Share online",
        "total": "Total",
        "level": "Level",
        "name": "Name",
        "kind": "Kind",
        "last_seen": "Last report",
        "state": "State",
        "up": "Online",
        "down": "Offline",
        "uplink": "Internet link (last 24 hours, hourly means)",
        "hour": "Hour",
        "link_up": "Link up",
        "rtt": "Round trip (ms)",
        "loss": "Packet loss (%)",
        "no_uplink": "No uplink data in the last 24 hours.",
        "incidents": "Open incidents",
        "no_incidents": "No open incidents.",
        "opened": "Opened",
        "severity": "Severity",
        "summary": "Summary",
        "no_devices": "No device has reported yet.",
        "plan": "Procurement plan",
        "download_xlsx": "Download (Excel .xlsx)",
        "download_csv": "Download (.csv)",
        "plan_pending": "The procurement plan is not available on this server yet.",
        "login": "Sign in",
        "logout": "Sign out",
        "token": "Access token",
        "login_help": "Paste the access token your administrator gave you (it starts with snt_).",
        "login_failed": "The token is wrong, expired or revoked.",
        "signed_in_as": "Signed in as",
        "back": "Back",
        "not_found": "Page not found.",
        "forbidden": "Your token may not see this page.",
        "error": "Error",
        "item": "Item",
        "quantity": "Quantity",
        "cost": "Cost (VND)",
    },
}

LEVELS = {
    "vi": {
        "mam_non": "Mầm non",
        "tieu_hoc": "Tiểu học",
        "thcs": "THCS",
        "thpt": "THPT",
        "gdtx": "GDNN-GDTX",
        "lien_cap": "Liên cấp",
        "other": "Khác",
    },
    "en": {
        "mam_non": "Preschool",
        "tieu_hoc": "Primary",
        "thcs": "Lower secondary",
        "thpt": "Upper secondary",
        "gdtx": "Continuing education",
        "lien_cap": "Multi-level",
        "other": "Other",
    },
}

KINDS = {
    "vi": {
        "gateway": "Cổng mạng (gateway)",
        "lab_pc": "Máy tính phòng máy",
        "admin_pc": "Máy tính văn phòng",
        "teacher_pc": "Máy tính giáo viên",
        "projector": "Máy chiếu",
        "board": "Bảng tương tác",
        "printer": "Máy in",
        "camera": "Camera",
        "router": "Bộ định tuyến",
        "other": "Khác",
        "unknown": "Chưa rõ",
    },
    "en": {
        "gateway": "Gateway",
        "lab_pc": "Lab PC",
        "admin_pc": "Office PC",
        "teacher_pc": "Teacher PC",
        "projector": "Projector",
        "board": "Interactive board",
        "printer": "Printer",
        "camera": "Camera",
        "router": "Router",
        "other": "Other",
        "unknown": "Unknown",
    },
}
SEVERITIES = {
    "vi": {"info": "Thông tin", "warning": "Cảnh báo", "critical": "Nghiêm trọng"},
    "en": {"info": "Info", "warning": "Warning", "critical": "Critical"},
}
STATES = {
    "vi": {"open": "Đang mở", "acknowledged": "Đã tiếp nhận", "resolved": "Đã xử lý"},
    "en": {"open": "Open", "acknowledged": "Acknowledged", "resolved": "Resolved"},
}


def number(value: float | int | None, lang: str, digits: int = 0) -> str:
    """15.000 in Vietnamese, 15,000 in English; '–' for no value."""
    if value is None:
        return "–"
    text = f"{value:,.{digits}f}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def percent(part: float, whole: float, lang: str) -> str:
    return "–" if not whole else number(100 * part / whole, lang, 1) + " %"


def local_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """Times as people in the province read them: Asia/Ho_Chi_Minh."""
    return "–" if value is None else value.astimezone(LOCAL_TZ).strftime(fmt)


def local_time_ms(epoch_ms: int, fmt: str = "%d/%m %H:%M") -> str:
    """InfluxDB's epoch milliseconds as local time."""
    return local_time(datetime.fromtimestamp(epoch_ms / 1000, timezone.utc), fmt)
