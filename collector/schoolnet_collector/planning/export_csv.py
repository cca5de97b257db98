"""CSV of a report's summary table (UTF-8 with BOM, so Excel opens Vietnamese text correctly).

Every cell passes through ``cells.csv_cell``: text that a spreadsheet would run as a formula
is written as text."""

from __future__ import annotations

import csv
import io

from schoolnet_collector.planning.cells import csv_cell
from schoolnet_collector.planning.tables import Table


def csv_text(table: Table) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([csv_cell(h) for h in table.headers])
    writer.writerows([[csv_cell(v) for v in row] for row in table.rows])
    return buf.getvalue()


def csv_bytes(table: Table) -> bytes:
    return b"\xef\xbb\xbf" + csv_text(table).encode("utf-8")
