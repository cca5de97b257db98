#!/usr/bin/env python3
"""Run the dashboards' InfluxQL against an InfluxDB and list empty panels (no Grafana needed).

    python dashboards/check.py --influx-url http://127.0.0.1:8086 --commune 08044

See README.md beside this file; ``--help`` lists the options.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from schoolnet_dashboards.check_cli import main

if __name__ == "__main__":
    sys.exit(main())
