#!/usr/bin/env bash
# The whole test suite, from a fresh clone. Sets up what the tests need, then runs Maven.
# Used as-is by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
if ! need java || ! need mvn; then
  echo "Installing JDK 17 and Maven (Debian packages)..."
  apt-get update -qq && apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
fi

exec mvn -B --no-transfer-progress verify "$@"
