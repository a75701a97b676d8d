# Sourced by scripts/run and scripts/test: make sure .venv exists and holds this checkout's dependencies.
# Re-running is fast: nothing is installed unless pyproject.toml or constraints.txt changed.
# usage: setup_venv app|dev   (dev holds everything app does, plus the test tools)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "Signalcord needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

quiet_pip() {
    # the machine's pip config may name local index folders that do not exist; hide only that warning
    .venv/bin/python -m pip "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

setup_venv() {
    local extras="${1:-app}" marker=".venv/.signalcord-installed" want have
    if [ ! -x .venv/bin/python ]; then
        echo "setting up .venv (first run only)..." >&2
        "$(find_python)" -m venv .venv
    fi
    want="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
    have="$(cat "$marker" 2>/dev/null || true)"
    if [ "$have" != "$want dev" ] && [ "$have" != "$want $extras" ]; then
        echo "installing dependencies into .venv..." >&2
        if [ "$extras" = app ]; then
            quiet_pip install -q --disable-pip-version-check -c constraints.txt -e .
        else
            quiet_pip install -q --disable-pip-version-check -c constraints.txt -e ".[$extras]"
        fi
        echo "$want $extras" > "$marker"
    fi
}
