#!/usr/bin/env bash
# Installs what the local default and the tests need from the distribution's
# packages, and says so before it does: ClickHouse (the private server that
# econdip starts itself) and, with --browser, Chromium for the UI tests.
set -euo pipefail

want=()
if ! command -v clickhouse >/dev/null 2>&1 && ! command -v clickhouse-server >/dev/null 2>&1 \
   && [ ! -x /usr/sbin/clickhouse-server ] && [ ! -x /usr/bin/clickhouse ]; then
  want+=(clickhouse-server clickhouse-client)
fi
if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  want+=(chromium)
fi
[ ${#want[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "econdip needs: ${want[*]}. Install them as root (apt-get install -y ${want[*]}) and run again." >&2; exit 1; }
  sudo="sudo"
fi
echo "econdip needs packages that are not installed: ${want[*]}"
echo "running: $sudo apt-get update && $sudo apt-get install -y ${want[*]}"
echo "(ClickHouse is only used as a private server that econdip starts under ./data; its system service is not started.)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${want[@]}"
