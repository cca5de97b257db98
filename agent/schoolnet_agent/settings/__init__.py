"""What the configuration is made of, below everything that reads it.

``checks`` is the toolkit every section's keys are checked with (``Check``, ``Invalid``,
``Integer``...), so the words of a refusal are the same everywhere; the other modules hold the
settings models that several units share (the device's, the broker's, the gateway's lines).
A model used by one unit only lives with that unit (a probe's in its module, the spool's in
``delivery``). Reading the TOML file and the environment into them is the config loader's job
(``schoolnet_agent.config``), at the top.
"""
