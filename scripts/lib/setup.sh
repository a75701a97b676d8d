# Sourced by scripts/run and scripts/test: make sure .venv exists and holds this checkout's dependencies.
# Re-running is fast: nothing is installed unless pyproject.toml or constraints.txt changed.
# Then the parser is compiled with mypyc unless a build matching its sources exists (a no-op otherwise).
# usage: setup_venv native|dev   (dev holds everything native does, plus the test tools)

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
    local extras="${1:-native}" marker=".venv/.signalcord-installed" want have
    if [ ! -x .venv/bin/python ]; then
        echo "setting up .venv (first run only)..." >&2
        "$(find_python)" -m venv .venv
    fi
    want="$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
    have="$(cat "$marker" 2>/dev/null || true)"
    if [ "$have" != "$want dev" ] && [ "$have" != "$want $extras" ]; then
        echo "installing dependencies into .venv..." >&2
        quiet_pip install -q --disable-pip-version-check -c constraints.txt -e ".[$extras]"
        echo "$want $extras" > "$marker"
    fi
    build_parser
}

build_parser() {
    # about 12 s when the parser's sources changed; without a C compiler the parser runs interpreted (slower)
    if ! .venv/bin/signalcord build-parser >/dev/null; then
        echo "note: the parser runs interpreted (about 12,000 instead of 21,500 messages/s); see above" >&2
    fi
}
