#!/usr/bin/env bash
# make k8s-check (run by make test): renders every k8s/ overlay, validates it
# against the Kubernetes API schemas offline, and runs the rendered suite as
# local processes through a two-user mail exchange. Details and exit status:
# scripts/k8s_check/check.py.
#   scripts/k8s-check.sh [BUILD_DIR]     (default: $CMTP_BUILD_DIR, else build/)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Debian's python3 carries PyYAML (python3-yaml, from scripts/install-deps.sh).
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"
exec "$PYTHON" "$ROOT/scripts/k8s_check/check.py" "$@"
