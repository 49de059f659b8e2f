#!/usr/bin/env bash
# Footprint of one gateway on a small board: time from launching java to the first live MQTT
# message an independent subscriber sees, and RSS after a steady-state wait. One meter,
# defaults, an external Mosquitto on loopback. JVM flags from JVM_FLAGS (default: the image's
# small-board flags), extra gateway properties from GW_PROPS (one key=value per line).
# Prints a README table row: median (min-max) of the runs.
# Build first: mvn -B -q package -DskipTests. Usage: scripts/bench-footprint.sh [label] [settle-s] [runs]
set -euo pipefail
label="${1:-small-board flags}"; settle="${2:-30}"; runs="${3:-3}"
app="$(cd "$(dirname "$0")/.." && pwd)/target/quarkus-app/quarkus-run.jar"
[ -f "$app" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }
java="${JAVA:-java}"
flags="${JVM_FLAGS:--XX:+UseSerialGC -Xms12m -Xmx48m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=25 -Xss512k -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=24m -XX:-UsePerfData}"
firsts=(); rsss=()
for _ in $(seq "$runs"); do
  dir=$(mktemp -d); mkdir -p "$dir/config"
  mport=$((40000 + RANDOM % 20000)); hport=$((20000 + RANDOM % 20000))
  printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$mport" > "$dir/mosquitto.conf"
  mosquitto -c "$dir/mosquitto.conf" > "$dir/mosq.log" 2>&1 & mpid=$!
  sleep 0.5
  printf 'storage.dir=%s/data\nquarkus.http.port=%s\nmqtt.host=127.0.0.1\nmqtt.port=%s\n%s\n' \
    "$dir" "$hport" "$mport" "${GW_PROPS:-}" > "$dir/config/application.properties"
  mosquitto_sub -h 127.0.0.1 -p "$mport" -R -C 1 -t '#' -F '%t' > "$dir/first" & spid=$!
  sleep 0.3
  t0=$(date +%s%N)
  (cd "$dir" && exec $java $flags -jar "$app" > gw.log 2>&1) & gpid=$!
  wait "$spid"; t1=$(date +%s%N)
  sleep "$settle"
  rss=$(awk '/VmRSS/ {print $2}' /proc/$gpid/status)
  kill "$gpid"; wait "$gpid" 2>/dev/null || true
  kill "$mpid"; wait "$mpid" 2>/dev/null || true
  firsts+=($(( (t1 - t0) / 1000000 ))); rsss+=("$rss")
  [ -n "${KEEP:-}" ] && echo "kept $dir ($(cat "$dir/first"))" >&2 || rm -rf "$dir"
done
# the median of the runs
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
lo() { printf '%s\n' "$@" | sort -n | head -1; }
hi() { printf '%s\n' "$@" | sort -n | tail -1; }
awk -v l="$label" -v f="$(med "${firsts[@]}")" -v fl="$(lo "${firsts[@]}")" -v fh="$(hi "${firsts[@]}")" \
  -v r="$(med "${rsss[@]}")" -v rl="$(lo "${rsss[@]}")" -v rh="$(hi "${rsss[@]}")" -v n="$runs" \
  'BEGIN { printf "| %s | %.2f s (%.2f-%.2f) | %.1f MiB (%.1f-%.1f) | %d |\n", l, f / 1000, fl / 1000, fh / 1000,
           r / 1024, rl / 1024, rh / 1024, n }'
