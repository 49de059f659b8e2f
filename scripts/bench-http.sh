#!/usr/bin/env bash
# What the HTTP surface costs the gateway: RSS and CPU of the gateway process over a minute,
# (a) with HTTP off (quarkus.http.host-enabled=false) and (b) with HTTP on and the dashboard
# open in headless Chromium (one SSE stream, history refreshes) plus a Prometheus-like scrape
# of /q/metrics every 15 s. Same configuration otherwise: one 2-element simulated meter.
# Build first: mvn -B -q package -DskipTests. Usage: scripts/bench-http.sh [seconds]
set -euo pipefail
secs="${1:-60}"
app="$(cd "$(dirname "$0")/.." && pwd)/target/quarkus-app/quarkus-run.jar"
[ -f "$app" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }
tick=$(getconf CLK_TCK)
# the container image's flags (application.properties, quarkus.jib.jvm-arguments) unless given
flags="${JVM_FLAGS:--XX:+UseSerialGC -Xms12m -Xmx48m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=25 -Xss512k -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=24m -XX:-UsePerfData}"
run() { # $1 = label, $2 = http on/off
  local dir; dir=$(mktemp -d); mkdir -p "$dir/config"
  local port=$((20000 + RANDOM % 20000)) mport=$((40000 + RANDOM % 20000))
  printf 'storage.dir=%s/data\nquarkus.http.port=%s\nmqtt.port=%s\nquarkus.http.host-enabled=%s\n' \
    "$dir" "$port" "$mport" "$2" > "$dir/config/application.properties"
  (cd "$dir" && exec java $flags -jar "$app" > gw.log 2>&1) & local pid=$!
  sleep 10   # start-up
  local gpid; gpid=$(pgrep -f -n -- "-jar $app")
  local chrome=""
  if [ "$2" = true ]; then
    chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$dir/chrome" \
      "http://127.0.0.1:$port/" >/dev/null 2>&1 & chrome=$!
  fi
  sleep 60   # the JIT compiles the paths in use (the HTTP ones too) before the measurement
  local t0; t0=$(awk '{print $14+$15}' /proc/$gpid/stat)
  local end=$((SECONDS + secs))
  while [ $SECONDS -lt $end ]; do
    [ "$2" = true ] && curl -s -H 'Accept: text/plain' "http://127.0.0.1:$port/q/metrics" > /dev/null || true
    sleep 15
  done
  local t1; t1=$(awk '{print $14+$15}' /proc/$gpid/stat)
  local rss; rss=$(awk '/VmRSS/ {print $2}' /proc/$gpid/status)
  [ -n "$chrome" ] && kill "$chrome" 2>/dev/null || true
  kill "$gpid"; wait "$pid" 2>/dev/null || true
  awk -v l="$1" -v c="$((t1 - t0))" -v t="$tick" -v s="$secs" -v r="$rss" \
    'BEGIN { printf "| %s | %.1f MiB | %.2f %% |\n", l, r / 1024, 100 * c / t / s }'
  rm -rf "$dir"
}
echo "| gateway | RSS after ${secs} s | CPU (one core = 100 %) |"
echo "| --- | --- | --- |"
run "HTTP off" false
run "HTTP on, dashboard open, /q/metrics every 15 s" true
