#!/usr/bin/env bash
# An AppCDS archive of the classes the gateway really uses (Java 17: a training run with
# -XX:ArchiveClassesAtExit). The run is the gateway on its defaults for 15 s on a scratch storage
# directory (simulated meter, embedded broker on a spare port, HTTP on a spare port), stopped
# with SIGTERM so the archive is written at exit. Start the gateway afterwards with the same
# JVM, the same jar path and -XX:SharedArchiveFile=<archive>; a mismatch is not an error, the JVM
# just says so and loads classes the slow way.
# Usage: scripts/appcds-archive.sh <archive.jsa> [jar] (JVM_FLAGS: flags of the runs it is for)
set -euo pipefail
out="$(realpath -m "${1:?usage: appcds-archive.sh <archive.jsa> [jar]}")"
app="${2:-$(cd "$(dirname "$0")/.." && pwd)/target/quarkus-app/quarkus-run.jar}"
[ -f "$app" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }
flags="${JVM_FLAGS:--XX:+UseSerialGC -Xms12m -Xmx48m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=25 -Xss512k -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=24m -XX:-UsePerfData}"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/config"
printf 'storage.dir=%s/data\nquarkus.http.port=%s\nmqtt.port=%s\n' "$dir" $((20000 + RANDOM % 20000)) \
  $((40000 + RANDOM % 20000)) > "$dir/config/application.properties"
rm -f "$out"
(cd "$dir" && exec java $flags -XX:ArchiveClassesAtExit="$out" -jar "$app" > gw.log 2>&1) & pid=$!
sleep 15
# the java process itself (the subshell exec'd into it)
kill -TERM "$pid"; wait "$pid" || true
[ -s "$out" ] || { echo "no archive written; the run's log:" >&2; cat "$dir/gw.log" >&2; exit 1; }
echo "$out: $(du -h "$out" | cut -f1); run with: java $flags -XX:SharedArchiveFile=$out -jar $app"
