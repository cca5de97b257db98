"""Tools around the schoolnet Grafana dashboards: variable interpolation as Grafana does it,
API payloads built from the provisioning files, and a push to a running Grafana.

The dashboards themselves are plain JSON beside this package; nothing here is needed to use
them with Grafana's file provisioning.
"""
