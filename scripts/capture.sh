#!/usr/bin/env bash
# Records a waveform source to a WAV file that source=replay plays back exactly.
# Build first (mvn -B -q package -DskipTests). Examples:
#   scripts/capture.sh --source simulator --seconds 10 --out site.wav --current 40 --phase-deg 30 --realistic
#   scripts/capture.sh --source replay --in site.csv --out site.wav
set -euo pipefail
app="$(cd "$(dirname "$0")/.." && pwd)/target/quarkus-app"
[ -d "$app" ] || { echo "build first: mvn -B -q package -DskipTests" >&2; exit 2; }
exec java -cp "$app/app/*:$app/lib/main/*:$app/lib/boot/*" org.minimeter.gateway.hal.replay.CaptureCommand "$@"
