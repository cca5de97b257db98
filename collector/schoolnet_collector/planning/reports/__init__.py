"""Planners' reports: one module each, registered here in one line each.

The CLI (``schoolnet-collector report <name>``), the API (``/api/v1/reports/<name>``), the
/plan page's list of downloads and the table in ``docs/planning.md`` all read this list;
nothing else names a report. What a report computes lives in its planning module
(``planning/readiness.py``); its module here adapts it to ``base.Report``.

To add a report ``<name>``:

1. ``collector/schoolnet_collector/planning/<name>.py``: what it computes (``compute(...)``
   returning an object) and, in ``planning/tables.py`` or beside it, its tables.
2. ``collector/schoolnet_collector/planning/reports/<name>.py``: a ``Report`` subclass with
   ``name``, ``title`` and ``description`` (English message ids marked ``N_``), ``compute``,
   ``as_json`` and ``tables`` (and ``uses_prices`` / ``summary_on_page`` / ``text`` if they
   differ from the defaults).
3. One line below: ``Registration("<name>", ".<name>:<Class>")``.
4. ``tests/collector/planning/reports/test_<name>.py`` (and the computing's own test in
   ``tests/collector/planning/test_<name>.py``).
5. ``make i18n-update``, then translate the new ``msgstr``s in
   ``i18n/locale/vi/LC_MESSAGES/schoolnet.po``.
6. Paste the output of ``schoolnet-collector report --list`` into ``docs/planning.md``
   between the ``reports:`` markers (a test checks it is current).
"""

from schoolnet_collector.planning.reports.registry import Registration, Registry

REPORTS = Registry(
    (
        Registration("readiness", ".readiness:ReadinessReport"),
        Registration("procurement", ".procurement:ProcurementReport"),
    )
)
