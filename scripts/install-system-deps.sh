#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the demo and the tests run for real:
# Mosquitto (broker), InfluxDB 1.x (storage), VictoriaMetrics (second line-protocol store,
# for the v2 write path), PostgreSQL (the shared registry of several collectors), Chromium
# (web page tests), iproute2 and iptables (network namespaces, veth, loss injection in tests);
# and, beside Debian's Mosquitto 2.0.11, the 2.0.21 of bookworm-backports in .deps/. Installing
# them does not start them: the project starts its own copies on loopback ports. Safe to run
# again: does nothing when all are present.
set -euo pipefail

declare -A binary_of=(
  [mosquitto]=/usr/sbin/mosquitto
  [mosquitto-clients]=/usr/bin/mosquitto_pub
  [influxdb]=/usr/bin/influxd
  [victoria-metrics]=/usr/bin/victoria-metrics
  [iproute2]=/usr/sbin/ip
  [iptables]=/usr/sbin/iptables
  [chromium]=/usr/bin/chromium
)

missing=()
for pkg in "${!binary_of[@]}"; do
  [ -e "${binary_of[$pkg]}" ] || missing+=("$pkg")
done
# PostgreSQL's server binaries live under a versioned directory.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
# Mosquitto 2.0.21 from bookworm-backports (fetched by fetch-mosquitto-backport.sh) needs it.
dpkg-query -W -f='${Status}' libwebsockets17 2>/dev/null | grep -q "ok installed" || missing+=(libwebsockets17)
# Debian's own python3 makes virtualenvs only with python3-venv (it provides ensurepip).
python3 -c "import ensurepip" 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
else
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # policy-rc.d-free: no init system here, so post-install start attempts are skipped anyway.
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "system packages: installed ${missing[*]}"
fi
# The broker a Sở installs today, beside Debian's own: the tests run against both.
bash "$(dirname "$0")/fetch-mosquitto-backport.sh"
