"""Reports for planners (issue 6): readiness against the plan targets, and the replacement plan.

Each report is a unit of ``planning.reports`` (its registry is what the CLI, the API, the
/plan page and docs/planning.md read; the checklist for adding one is its docstring)::

    from schoolnet_collector.planning.reports import REPORTS
    unit = REPORTS.get("readiness")                   # UnknownReport naming the known ones
    r = unit.compute(store, session, scope, period, as_of=2026)
    unit.as_json(r, "vi"); unit.tables(r, "vi")

Underneath, the Python API (the CLI ``schoolnet-collector report``, the HTTP routes and the web pages all use
it, so they cannot disagree)::

    from schoolnet_collector.planning import procurement, readiness
    from schoolnet_collector.planning.period import parse_period, parse_scope
    from schoolnet_collector.planning.tables import procurement_tables, readiness_tables
    from schoolnet_collector.planning.export_csv import csv_bytes
    from schoolnet_collector.planning.export_xlsx import xlsx_bytes

    scope = parse_scope("district:bat-xat")          # province | district:<id> | school:<id>
    period = parse_period("30d", now)                 # now: an aware datetime (the clock)
    r = readiness.compute(store, session, scope, period, as_of=2026)        # -> Readiness
    p = procurement.compute(store, session, scope, period, as_of=2026)      # -> ProcurementPlan
    r.as_dict(); p.as_dict("vi")                      # JSON-ready
    xlsx_bytes(readiness_tables(r, "vi"))             # summary sheet + one sheet per level
    csv_bytes(procurement_tables(p, "en")[0])         # the summary table

``targets=``, ``rules=`` and ``prices=`` take a Sở's own files (``targets.load_targets``,
``scoring.load_scoring``, ``prices.load_prices``); the packaged defaults are in ``defaults/``.
Wrong scopes, periods or files raise ``ReportArgumentError`` / ``PlanningFileError`` with a
message for the user; an unreachable InfluxDB raises ``StorageError``.
How each indicator and rule is computed: docs/planning.md.
"""
