"""Leaf utilities: small tools that import nothing of the agent's but the protocol.

``logonce`` (a recurring problem logged once, then at most hourly), ``backoff`` (reconnect
delays with jitter) and ``tls`` (the TLS context and why a connection fails). Everything else may
use them; they know nothing of probes, delivery or configuration.
"""
