#!/usr/bin/env bash
# Run the checks and the test suite (the README's second command). Needs scripts/setup.sh once.
#   ruff (lint and docstrings), mypy (strict on the pure engine), then pytest, which also runs
#   the import-linter contracts (tests/test_architecture.py).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/pytest ] || { echo "run scripts/setup.sh first" >&2; exit 1; }
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"
echo "==> ruff"
.venv/bin/ruff check receptionist integrations shadow_mode tests benchmarks scripts
echo "==> mypy"
.venv/bin/mypy receptionist integrations shadow_mode
.venv/bin/mypy --strict receptionist/core
echo "==> pytest"
exec .venv/bin/pytest -q "$@"
