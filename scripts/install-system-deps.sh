#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the demo and the tests run for real:
# Mosquitto (broker), InfluxDB 1.x (storage), VictoriaMetrics (second line-protocol store,
# for the v2 write path). Installing them does not start them: the project starts its own
# copies on loopback ports. Safe to run again: does nothing when all are present.
set -euo pipefail

declare -A binary_of=(
  [mosquitto]=/usr/sbin/mosquitto
  [mosquitto-clients]=/usr/bin/mosquitto_pub
  [influxdb]=/usr/bin/influxd
  [victoria-metrics]=/usr/bin/victoria-metrics
  [python3-venv]=/usr/lib/python3/dist-packages/venv/__init__.py
)

missing=()
for pkg in "${!binary_of[@]}"; do
  [ -e "${binary_of[$pkg]}" ] || missing+=("$pkg")
done
# python3-venv only matters when the system Python is the one making the venv.
if [ ${#missing[@]} -gt 0 ] && python3 -m venv --help >/dev/null 2>&1; then
  missing=("${missing[@]/python3-venv}")
fi
read -r -a missing <<< "${missing[*]}"
[ ${#missing[@]} -eq 0 ] && { echo "system packages: all present"; exit 0; }

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# policy-rc.d-free: no init system here, so post-install start attempts are skipped anyway.
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed ${missing[*]}"
