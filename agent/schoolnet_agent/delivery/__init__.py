"""Getting messages to the broker and nothing lost on the way.

``outgoing`` is the one seam every message passes; ``spooled`` stores it on disk (``spool``) and
publishes it over ``transport`` (MQTT, acknowledgements counted by ``inflight``), sending the
backlog at the pace of ``replay``; ``budget`` keeps a metered link inside its monthly share;
``sequence`` numbers reports across restarts; ``metrics`` are the delivery's own measurements,
added to every report. Delivery uses probes (its metrics are probes) and settings, never the
config loader or the runner above it.
"""
