"""Alerts: rules over registry state, incidents with a timeline.

- ``rules/``: one module per rule (settings, summary message, condition, doc), registered in
  one line each in ``rules/__init__.py``; ``rules/base.py`` is what every rule is;
- ``rulefile``: the rule file (YAML), validated against the registered rules, with the line of
  each mistake;
- ``snapshot``: one pass's view of the registry that every rule reads;
- ``readings``: the newest values of the few metric fields rules read (and the rises of the
  counters they declare), kept by an ingest hook;
- ``conditions``: which problems exist right now: each rule asked about each school;
- ``incidents``: open / acknowledge / resolve as database transactions;
- ``evaluator``: debounce, hysteresis, flapping and suppression between them, on a clock;
- ``contacts``: who hears about incidents (the contacts file and the API's bodies);
- ``docs``: the rule reference (``schoolnet-collector rules``, docs/alerting.md).

The school calendar the rules consult is the registry's (``registry.calendar``).
"""
