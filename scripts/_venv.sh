# Sourced by scripts/*: make .venv (if missing) and install the package into it.
# Usage: . scripts/_venv.sh [EXTRAS]   e.g. ". scripts/_venv.sh test"
set -eu
ROOT=$(pwd)   # callers cd to the project root first
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
    echo "pyde1 needs Python 3.11 or newer; $PY is $("$PY" --version 2>&1)" >&2
    exit 1
fi
if [ ! -x .venv/bin/python ]; then
    echo ">>> creating .venv" >&2
    "$PY" -m venv .venv
fi
VPY="$ROOT/.venv/bin/python"
extras=${1:-}
spec="."
[ -z "$extras" ] || spec=".[$extras]"
# Re-install only when the package metadata changed since the last install.
stamp=.venv/.pyde1-installed-$extras
if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ]; then
    echo ">>> installing $spec into .venv" >&2
    "$VPY" -m pip install --quiet --disable-pip-version-check -e "$spec"
    touch "$stamp"
fi
