#!/usr/bin/env bash
# The whole platform in one terminal (README.md): builds the service binaries and the
# launcher, then runs target/debug/sonata-platform. Ctrl-C stops everything. State goes to
# ./data of the current directory; DATABASE_URL=postgres://... puts the records in PostgreSQL.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --quiet --manifest-path "$root/Cargo.toml" --bins \
  -p catalogue -p packager -p gatekeeper-common -p callback-mock -p platform
exec "${CARGO_TARGET_DIR:-$root/target}/debug/sonata-platform" "$@"
