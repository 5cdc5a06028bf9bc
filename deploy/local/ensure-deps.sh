#!/usr/bin/env bash
# Installs what the local default and the tests need from the distribution's
# packages, and says so before it does: ClickHouse (the private server that
# econdip starts itself); poppler-utils (pdftotext, for the digest's PDF
# test); with --browser, Chromium for the UI tests; with --cluster, ZooKeeper
# and a Java runtime for the ClickHouse cluster tests
# (services/test/cluster/chreplicas) and openssl for the deployment files' test
# (deploy/). Flags may be combined.
set -euo pipefail

browser=0 cluster=0
for arg in "$@"; do
  case "$arg" in
    --browser) browser=1 ;;
    --cluster) cluster=1 ;;
    *) echo "ensure-deps.sh: unknown option $arg (use --browser, --cluster)" >&2; exit 2 ;;
  esac
done

want=()
if ! command -v clickhouse >/dev/null 2>&1 && ! command -v clickhouse-server >/dev/null 2>&1 \
   && [ ! -x /usr/sbin/clickhouse-server ] && [ ! -x /usr/bin/clickhouse ]; then
  want+=(clickhouse-server clickhouse-client)
fi
# The weekly digest's test reads its PDF back as text with pdftotext (services/digest).
if ! command -v pdftotext >/dev/null 2>&1; then
  want+=(poppler-utils)
fi
if [ "$browser" = 1 ] && ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  want+=(chromium)
fi
if [ "$cluster" = 1 ] && { [ ! -f /usr/share/java/zookeeper.jar ] || ! command -v java >/dev/null 2>&1; }; then
  want+=(zookeeper default-jre-headless)
fi
# deploy/compose/gen-secrets.sh (run by the deployment files' test) makes its certificates with openssl.
if [ "$cluster" = 1 ] && ! command -v openssl >/dev/null 2>&1; then
  want+=(openssl)
fi
[ ${#want[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "econdip needs: ${want[*]}. Install them as root (apt-get install -y ${want[*]}) and run again." >&2; exit 1; }
  sudo="sudo"
fi
echo "econdip needs packages that are not installed: ${want[*]}"
echo "running: $sudo apt-get update && $sudo apt-get install -y ${want[*]}"
echo "(ClickHouse is only used as a private server that econdip starts under ./data; its system service is not started."
echo " ZooKeeper likewise: the cluster tests start their own; its system service is not used.)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${want[@]}"
