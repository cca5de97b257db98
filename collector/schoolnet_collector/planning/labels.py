"""Words the planners read: level names, indicator and column names, verdicts.

Vietnamese is the default (the reports go to the Sở and the province); English is there for
the project's own people and partners. The words are in the collector's catalogue
(``schoolnet_collector.i18n``): each table here marks them (English ids, with a context where
the same English is said two ways in Vietnamese) and ``column`` / ``level_name`` / ``word``
translate at the moment a report is written. A key missing from a table is a KeyError in the
tests, not a blank cell in a report.
"""

from __future__ import annotations

from schoolnet_collector.i18n import N_, NP_, Text

LEVELS = {
    "mam_non": NP_("school level", "Preschool"),
    "tieu_hoc": NP_("school level", "Primary"),
    "thcs": NP_("school level", "Lower secondary"),
    "thpt": NP_("school level", "Upper secondary"),
    "gdtx": NP_("school level", "Continuing education"),
    "lien_cap": NP_("school level", "Multi-level"),
    "other": NP_("school level", "Other"),
}
LEVEL_ORDER = tuple(LEVELS)

INDICATORS = {
    "schools": NP_("indicator", "Schools"),
    "internet": N_("With internet"),
    "fixed_broadband": N_("On fixed broadband"),
    "cellular": N_("USB 3G only"),
    "no_internet": NP_("indicator", "No internet"),
    "availability": N_("Uplink up during school hours"),
    "rtt_ms": N_("Median latency (ms)"),
    "loss_percent": N_("Median packet loss (%%)"),
    "lab": N_("Schools with a working computer lab – %(level)s"),
    "lab_record": N_("Schools with a computer lab on record – %(level)s"),
    "pcs_working": N_("Working PCs of those on record"),
    "students_per_pc": N_("Students per working lab PC"),
    "projectors_working": N_("Projectors working"),
    "boards_working": N_("Interactive boards working"),
    "digital_record": N_("Equipment with a digital record (auto-inventoried)"),
    "meeting_points": N_("Online meeting points working at THPT schools"),
    "districts_meeting_online": N_("Districts with a school able to host an online meeting"),
}

COLUMNS = {
    "scope": NP_("report column", "Scope"),
    "group": NP_("report column", "Group"),
    "id": NP_("report column", "Id"),
    "name": NP_("report column", "Name"),
    "indicator": NP_("report column", "Indicator"),
    "value": NP_("report column", "Value"),
    "numerator": NP_("report column", "Numerator"),
    "denominator": NP_("report column", "Denominator"),
    "unit": NP_("report column", "Unit"),
    "target": NP_("report column", "Target"),
    "target_year": NP_("report column", "Target year"),
    "gap": NP_("report column", "Gap"),
    "source": NP_("report column", "Source (plan)"),
    "school": NP_("report column", "School"),
    "district": NP_("report column", "District"),
    "level": NP_("report column", "Level"),
    "students": NP_("report column", "Students"),
    "uplink": NP_("report column", "Uplink"),
    "device": NP_("report column", "Device"),
    "kind": NP_("report column", "Kind"),
    "room": NP_("report column", "Room"),
    "year": NP_("report column", "Year"),
    "age": NP_("report column", "Age (years)"),
    "score": NP_("report column", "Score"),
    "verdict": NP_("report column", "Verdict"),
    "reasons": NP_("report column", "Reasons"),
    "pcs": NP_("report column", "PCs to replace"),
    "labs_replace": NP_("report column", "Labs to replace"),
    "labs_add": NP_("report column", "Labs to add"),
    "projectors": NP_("report column", "Projectors to replace"),
    "boards": NP_("report column", "Boards to replace"),
    "cost": NP_("report column", "Estimated cost (VND)"),
    "summary": NP_("report column", "Summary"),
    "devices": NP_("report column", "Devices to replace"),
    "horizon": NP_("report column", "Five-year horizon"),
    "province": NP_("report column", "Province"),
    "lab_pcs_on_record": NP_("report column", "Lab PCs on record"),
    "lab_pcs_working": NP_("report column", "Lab PCs working"),
    "working_lab": NP_("report column", "Working lab"),
    "pcs_on_record": NP_("report column", "PCs on record"),
    "pcs_working": NP_("report column", "PCs working"),
    "projectors_record": NP_("report column", "Projectors (record / working)"),
    "boards_record": NP_("report column", "Boards (record / working)"),
    "auto_inventoried": NP_("report column", "Devices auto-inventoried"),
    "meeting_point": NP_("report column", "Meeting point"),
}

UPLINKS = {
    "fixed": NP_("uplink", "Fixed"),
    "cellular": NP_("uplink", "3G"),
    "none": NP_("uplink", "None"),
}
VERDICTS = {
    "replace": NP_("verdict", "Replace"),
    "watch": NP_("verdict", "Watch"),
    "ok": NP_("verdict", "OK"),
}
GROUP_KINDS = {
    "province": NP_("report group", "Province"),
    "plan": NP_("report group", "Plan"),
    "managing_body": NP_("report group", "Managing body"),
    "commune": NP_("report group", "Commune"),
    "legacy_district": NP_("report group", "District (before 2025)"),
    "legacy_province": NP_("report group", "Province (before 2025)"),
    "district": NP_("report group", "District"),
    "level": NP_("report group", "Level"),
    "school": NP_("report group", "School"),
    "year": NP_("report group", "Year"),
}
YES_NO = {True: NP_("report cell", "yes"), False: NP_("report cell", "no")}


def word(table: dict[str, Text], key: str, lang: str) -> str:
    """``table[key]`` in ``lang``; a key the table does not know is shown as it is."""
    text = table.get(key)
    return text.translate(lang) if text is not None else key


def level_name(level: str, lang: str) -> str:
    return word(LEVELS, level, lang)


def column(key: str, lang: str) -> str:
    return COLUMNS[key].translate(lang)
