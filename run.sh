#!/usr/bin/env bash
# One-command set-up and launch for the Keras 3 convolution zoo.
#
#   ./run.sh app        set up (first run only), then start the Gradio app
#                       on http://127.0.0.1:7860 with the shipped models
#   ./run.sh test       set up (first run only), then run the test suite:
#                       everything on TensorFlow, then the layer suite on
#                       JAX and on PyTorch; every pass runs, and the
#                       command fails at the end if any pass failed
#   ./run.sh shell CMD  run CMD inside the project's virtual environment
#
# Set-up creates `.venv` next to this file and installs the project with all
# extras (`pip install -e '.[all]'`); it re-installs only when pyproject.toml
# changes. Override the location with ZOO_VENV=/path/to/venv, and the
# backend passes of `test` with ZOO_TEST_BACKENDS="tensorflow jax torch".
set -euo pipefail
cd "$(dirname "$0")"

VENV="${ZOO_VENV:-.venv}"
PY="${PYTHON:-python3}"

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

ensure_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        echo "==> creating virtual environment in $VENV"
        if ! "$PY" -m venv "$VENV" 2>/dev/null; then
            # Debian ships venv support in a separate package.
            echo "==> python3 -m venv failed; installing python3-venv"
            rm -rf "$VENV"
            as_root apt-get update -qq && as_root apt-get install -y -qq python3-venv \
                || { echo "error: install python3-venv (apt-get install python3-venv) and retry" >&2; exit 2; }
            "$PY" -m venv "$VENV"
        fi
    fi
    local stamp="$VENV/.zoo-installed"
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        echo "==> installing keras-conv-zoo with all extras (first run takes a few minutes)"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e '.[all]'
        touch "$stamp"
    fi
}

ensure_test_tools() {
    # Debian packages some tests drive: Chromium for the browser tests,
    # through Playwright (`playwright install` cannot download browsers
    # offline), and Graphviz for keras.utils.plot_model.
    if [ -n "${ZOO_SKIP_SYSTEM_INSTALL:-${ZOO_SKIP_BROWSER_INSTALL:-}}" ]; then
        return 0
    fi
    local missing=()
    [ -x /usr/lib/chromium/chromium ] || missing+=(chromium)
    command -v dot >/dev/null || missing+=(graphviz)
    if [ "${#missing[@]}" = 0 ] || ! command -v apt-get >/dev/null; then
        return 0
    fi
    echo "==> installing Debian's ${missing[*]} for the tests"
    (as_root apt-get update -qq && as_root apt-get install -y -qq "${missing[@]}") \
        || echo "warning: could not install ${missing[*]}; the tests that need them will be skipped" >&2
}

run_pytest() {
    # pytest exits 5 when it collects nothing: treat that as a failure so a
    # broken test layout can never pass silently.
    local rc=0
    "$VENV/bin/python" -m pytest "$@" || rc=$?
    if [ "$rc" = 5 ]; then
        echo "error: pytest collected no tests ($*)" >&2
        return 1
    fi
    return "$rc"
}

cmd="${1:-app}"
shift || true
case "$cmd" in
    app)
        ensure_venv
        exec "$VENV/bin/zoo-app" "$@"
        ;;
    test)
        ensure_venv
        ensure_test_tools
        results=()
        for backend in ${ZOO_TEST_BACKENDS:-tensorflow jax torch}; do
            if [ "$backend" = tensorflow ]; then
                echo "==> test suite, KERAS_BACKEND=tensorflow"
                selection=()
            else
                echo "==> layer suite, KERAS_BACKEND=$backend"
                selection=(-m "not large" tests/layers)
            fi
            rc=0
            KERAS_BACKEND="$backend" run_pytest -q "${selection[@]}" "$@" || rc=$?
            results+=("$backend $rc")
        done
        # Every pass runs; the command fails at the end if one failed.
        echo "==> summary"
        status=0
        for result in "${results[@]}"; do
            read -r backend rc <<<"$result"
            if [ "$rc" = 0 ]; then
                echo "    $backend: passed"
            else
                echo "    $backend: FAILED (exit $rc)"
                status=1
            fi
        done
        exit "$status"
        ;;
    shell)
        ensure_venv
        exec "$VENV/bin/python" -m "$@"
        ;;
    *)
        echo "usage: ./run.sh [app|test|shell MODULE ...]" >&2
        exit 2
        ;;
esac
