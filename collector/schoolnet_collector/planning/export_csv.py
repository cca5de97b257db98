"""CSV of a report's summary table (UTF-8 with BOM, so Excel opens Vietnamese text correctly)."""

from __future__ import annotations

import csv
import io

from schoolnet_collector.planning.tables import Table


def csv_text(table: Table) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(table.headers)
    writer.writerows([["" if v is None else v for v in row] for row in table.rows])
    return buf.getvalue()


def csv_bytes(table: Table) -> bytes:
    return b"\xef\xbb\xbf" + csv_text(table).encode("utf-8")
