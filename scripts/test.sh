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
# The MQTT tests start their own mosquitto on a free 127.0.0.1 port (never a system service on
# 1883) and drive it with the command-line clients; TLS tests make their certificates with openssl.
# /usr/sbin (the broker's place) is not on a non-root PATH.
need_broker() { need mosquitto || [ -x /usr/sbin/mosquitto ]; }
if ! need_broker || ! need mosquitto_sub || ! need mosquitto_pub || ! need mosquitto_passwd || ! need openssl; then
  echo "Installing mosquitto, mosquitto-clients and openssl (Debian packages)..."
  apt-get update -qq && apt-get install -y -qq mosquitto mosquitto-clients openssl >/dev/null
fi
# The cluster failover IT starts its own three RabbitMQ nodes (MQTT plugin) on free 127.0.0.1
# ports; the Debian package's own service must not keep running or hold ports (5672, 25672, epmd).
if [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
  echo "Installing rabbitmq-server (Debian package)..."
  apt-get update -qq && apt-get install -y -qq --no-install-recommends rabbitmq-server >/dev/null
  service rabbitmq-server stop >/dev/null 2>&1 || true
fi
# The metrics test checks /q/metrics with Prometheus' own linter, promtool (in Debian's prometheus).
if ! need promtool; then
  echo "Installing prometheus, for promtool (Debian package)..."
  apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
# The Modbus integration test reads the gateway with an independent client, Debian's mbpoll.
if ! need mbpoll; then
  echo "Installing mbpoll (Debian package)..."
  apt-get update -qq && apt-get install -y -qq mbpoll >/dev/null
fi
# The dashboard's browser test drives Debian's Chromium headless through chromium-driver.
if ! need chromium || ! need chromedriver; then
  echo "Installing chromium and chromium-driver (Debian packages)..."
  apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi

exec mvn -B --no-transfer-progress verify "$@"
