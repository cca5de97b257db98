"""Alerts: rules over registry state, incidents with a timeline.

- ``rules``: the rule file (YAML) and its validation, with the line of each mistake;
- ``readings``: the newest values of the few metric fields rules read, kept by an ingest hook;
- ``conditions``: which problems exist right now, from one snapshot of the registry;
- ``incidents``: open / acknowledge / resolve as database transactions;
- ``evaluator``: debounce, hysteresis, flapping and suppression between them, on a clock;
- ``contacts``: who hears about incidents (the contacts file and the API's bodies).

The school calendar the rules consult is the registry's (``registry.calendar``).
"""
