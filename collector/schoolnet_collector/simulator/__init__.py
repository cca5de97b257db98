"""Province simulator: every school of a province profile as virtual devices on the broker.

``fleet.generate_fleet`` builds the schools and devices from a profile (pure, seeded);
``runner.Simulation`` publishes their reports through the agent's own transport and payload
code; ``cli.register`` adds ``schoolnet-collector simulate``. See README.md.
"""
