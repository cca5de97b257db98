#!/usr/bin/env python3
"""Push schoolnet's Grafana folder, data source and dashboards through the HTTP API.

    python dashboards/push.py --url https://grafana.example.org --token-file token.txt

See README.md beside this file; ``--help`` lists the options.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from schoolnet_dashboards.cli import main

if __name__ == "__main__":
    sys.exit(main())
