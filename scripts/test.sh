#!/usr/bin/env bash
# Install everything the tests need (Debian Chromium for the browser tests,
# the package with its test extra) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
fi
# setuptools >= 77 in the interpreter itself: tests/test_install.py builds the package without
# build isolation (no download) to try the README's two commands in a fresh venv
python3 -m pip install -q --disable-pip-version-check "setuptools>=77"
python3 -m pip install -q --disable-pip-version-check -e ".[test]"
python3 -m pytest -q "$@"
