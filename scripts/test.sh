#!/usr/bin/env bash
# The test command: set up (venv, dev, serve, ray and pc extras, X11 test tools, headless Chromium), then lint, type-check and test.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${LIMKIT_VENV:-.venv}
pc_debs="xvfb xauth xdotool x11-utils dbus-x11 at-spi2-core python3-pyatspi gir1.2-atspi-2.0 python3-gi
  gir1.2-gtk-3.0 python3-tk gcc linux-libc-dev"
# shellcheck disable=SC2086
if ! dpkg -s $pc_debs >/dev/null 2>&1; then
  # limkit pc: Xvfb, xdotool, D-Bus and AT-SPI with the GTK3 bindings for its tests; gcc and the Linux headers
  # build evdev (pynput's Linux dependency, source-only on PyPI) in the pc extra below.
  sudo_if_needed=""
  [ "$(id -u)" -eq 0 ] || sudo_if_needed="sudo"
  $sudo_if_needed apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq $pc_debs >/dev/null
fi
bash scripts/setup.sh dev,serve,ray,pc
if [ ! -x /usr/bin/chromium ]; then
  # The report tests open pages in Debian's headless Chromium.
  sudo_if_needed=""
  [ "$(id -u)" -eq 0 ] || sudo_if_needed="sudo"
  $sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq chromium >/dev/null
fi
"$venv/bin/ruff" check src tests benchmarks
"$venv/bin/ruff" format --check src tests benchmarks
"$venv/bin/mypy"
"$venv/bin/pytest" -q "$@"
