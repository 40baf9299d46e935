#!/usr/bin/env bash
# Conformance of the packager against the shared fixtures: scripts/conformance.sh <fixtures-dir>
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
fixtures="${1:-$here/../shared/fixtures}"
cd "$here"
# The workspace feature set, so the binary the test run built is reused rather than rebuilt.
cargo build --quiet --workspace --bin packager
exec python3 scripts/conformance.py "$fixtures" --packager "${CARGO_TARGET_DIR:-$here/target}/debug/packager"
