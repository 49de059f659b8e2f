#!/usr/bin/env bash
# Storage wear of one meter: fsync/fdatasync calls and bytes written per day, measured with
# strace over a window and scaled, at the default settings and at the low-wear settings.
# Needs strace and mosquitto (an external broker, as on a board). Build first:
# mvn -B -q package -DskipTests. Usage: scripts/bench-wear.sh [seconds]
set -euo pipefail
secs="${1:-120}"
app="$(cd "$(dirname "$0")/.." && pwd)/target/quarkus-app/quarkus-run.jar"
broker=$(command -v mosquitto || echo /usr/sbin/mosquitto)
run() { # $1 = label, $2.. = extra config lines
  local label=$1; shift
  local dir; dir=$(mktemp -d); mkdir -p "$dir/config"
  local mport=$((40000 + RANDOM % 20000))
  "$broker" -p "$mport" > "$dir/broker.log" 2>&1 & local bpid=$!
  { printf 'storage.dir=%s/data\nquarkus.http.port=0\nmqtt.host=127.0.0.1\nmqtt.port=%s\n' "$dir" "$mport"
    printf '%s\n' "$@"; } > "$dir/config/application.properties"
  (cd "$dir" && exec java -Xmx64m -jar "$app" > gw.log 2>&1) & local pid=$!
  sleep 40   # start-up, including the one-off extraction of native libraries to /tmp
  local gpid; gpid=$(pgrep -f -n -- "-jar $app")
  local w0; w0=$(awk '/^wchar/ {print $2}' /proc/$gpid/io)
  timeout "$secs" strace -f -c -e trace=fsync,fdatasync -p "$gpid" -o "$dir/strace.txt" 2>/dev/null || true
  local w1; w1=$(awk '/^wchar/ {print $2}' /proc/$gpid/io)
  local syncs; syncs=$(awk '$NF=="fsync" || $NF=="fdatasync" {n += $4} END {print n+0}' "$dir/strace.txt")
  kill "$gpid"; wait "$pid" 2>/dev/null || true; kill "$bpid" 2>/dev/null || true
  awk -v l="$label" -v s="$syncs" -v w="$((w1 - w0))" -v t="$secs" 'BEGIN {
    d = 86400 / t; printf "| %s | %.0f | %.1f MiB | %.0f MiB |\n", l, s * d, w * d / 1048576, s * d * 8 / 1024 }'
  rm -rf "$dir"
}
echo "| settings (one 2-element meter, household load) | fsyncs per day | bytes written per day | device writes per day at >= 8 KiB per fsync |"
echo "| --- | --- | --- | --- |"
run "defaults (storage.save-wh=1, save-interval=1s, mqtt.energy-interval=10s)"
run "low wear (storage.save-wh=100, save-interval=15m, mqtt.energy-interval=60s, mqtt.health-interval=300s)" \
  storage.save-wh=100 storage.save-interval=15m mqtt.energy-interval=60s mqtt.health-interval=300s
