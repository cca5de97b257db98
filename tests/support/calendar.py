"""A school calendar file with mistakes in some rows, for the file reader and for the ``calendar
import`` command: both must name the bad rows and keep the good ones."""

from __future__ import annotations

CALENDAR_WITH_MISTAKES = """\
school_hours:
  mon: "07:00-17:00"
  tue: "07:00-17:00"
terms:
  - {name: "Học kỳ I", starts: 2026-09-05, ends: 2027-01-16}
  - {name: "Học kỳ II", starts: 2027-05-29, ends: 2027-01-18}
holidays:
  - {name: "Tết Nguyên đán", starts: 2027-02-04, ends: 2027-02-10}
  - {name: "Giỗ Tổ", starts: 16/4/2027, ends: 2027-04-16}
  - {name: "30/4", starts: 2027-04-30, ends: 2027-04-30}
"""
