#!/usr/bin/env bash
# Run the test suite (the README's second command). Needs scripts/setup.sh to have run once.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/pytest ] || { echo "run scripts/setup.sh first" >&2; exit 1; }
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"
exec .venv/bin/pytest -q "$@"
