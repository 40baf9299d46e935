#!/usr/bin/env bash
# API contract tests: schemathesis (from PyPI, pinned) against the OpenAPI document that each
# service serves (gatekeeper, packager, catalogue, callback-mock), with the real service binaries
# started as processes on free ports and SQLite in a temp dir. Checks: no 5xx
# (not_a_server_error) and every response matches its own schema (response_schema_conformance).
#
# Usage: scripts/contract.sh [service ...]   (default: all four)
# Env:   CONTRACT_PROFILE=debug|release (debug), CONTRACT_MAX_EXAMPLES (20), CONTRACT_SEED (1),
#        CONTRACT_MAX_TIME seconds per service (30; fuzzing repeats until it is spent; the
#        figures in docs/reliability.md used 120), CONTRACT_VENV (~/.cache/contract-venv),
#        CONTRACT_KEEP=1 keeps the temp dir (service logs, JUnit reports), CONTRACT_NO_BUILD=1
#        uses the binaries already in target/<profile>, CONTRACT_BUILD_ARGS (what to build),
#        FIXTURES_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
fixtures="${FIXTURES_DIR:-$root/../shared/fixtures}"
st_version="4.32.5"
venv="${CONTRACT_VENV:-$HOME/.cache/contract-venv}"
profile="${CONTRACT_PROFILE:-debug}"
max_examples="${CONTRACT_MAX_EXAMPLES:-20}"
seed="${CONTRACT_SEED:-1}"
max_time="${CONTRACT_MAX_TIME:-30}"
services=("$@")
[ ${#services[@]} -gt 0 ] || services=(gatekeeper packager catalogue callback-mock)

# schemathesis, pinned, in its own venv.
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$st_version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$st_version"
fi

build_flags=()
[ "$profile" = release ] && build_flags=(--release)
# CI passes CONTRACT_BUILD_ARGS="--workspace --bins --locked": the features then unify as in
# the test step before it, so only the binaries are linked.
read -r -a build_args <<<"${CONTRACT_BUILD_ARGS:--p catalogue -p packager -p gatekeeper-common -p callback-mock}"
[ "${CONTRACT_NO_BUILD:-0}" = 1 ] || cargo build "${build_flags[@]}" "${build_args[@]}"
bin="${CARGO_TARGET_DIR:-$root/target}/$profile"

work="$(mktemp -d -t contract-XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${CONTRACT_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cat_port=$(free_port); pkg_port=$(free_port); gk_port=$(free_port); cb_port=$(free_port)
cat_url="http://127.0.0.1:$cat_port/api/catalogues/v2"
export RUST_LOG="${RUST_LOG:-warn}"

start() { # name log-file command...
  local name="$1"; shift
  "$@" >"$work/$name.log" 2>&1 &
  pids+=("$!")
}
mkdir -p "$work/spool"
CATALOGUE_BIND="127.0.0.1:$cat_port" CATALOGUE_DATABASE_URL="sqlite://$work/catalogue.db" \
  CATALOGUE_BLOB_STORE="$work/blobs" start catalogue "$bin/catalogue"
PACKAGER_BIND="127.0.0.1:$pkg_port" CATALOGUE_URL="$cat_url" PACKAGER_TEMP_DIR="$work/spool" \
  start packager "$bin/packager" serve
GATEKEEPER_BIND="127.0.0.1:$gk_port" GATEKEEPER_DATABASE_URL="sqlite://$work/gatekeeper.db" \
  PACKAGER_URL="http://127.0.0.1:$pkg_port/api/v1/packages" CATALOGUE_URL="$cat_url" \
  start gatekeeper "$bin/gatekeeper-common"
CALLBACK_MOCK_BIND="127.0.0.1:$cb_port" start callback-mock "$bin/callback-mock"

for port in "$cat_port" "$pkg_port" "$gk_port" "$cb_port"; do
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null || {
    echo "service on port $port did not get ready"; tail -n 20 "$work"/*.log; exit 1; }
done

# Real records for the list and read operations: on-board the canonical example once.
example="$fixtures/packages/5gtango-ns-package-example.tgo"
if [ -f "$example" ]; then
  answer=$(curl -sS -m 30 -F "package=@$example" "http://127.0.0.1:$gk_port/api/v3/packages") || {
    echo "!!! seeding: the upload of $example through the gatekeeper did not answer in 30 s"
    failed_seed=1; }
  id=$(printf '%s' "${answer:-}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["package_process_uuid"])' 2>/dev/null || true)
  for _ in $(seq 1 100); do
    [ -n "$id" ] || break
    curl -sS -m 5 "http://127.0.0.1:$gk_port/api/v3/packages/status/$id" | grep -q '"success"' && { seeded=1; break; }
    sleep 0.1
  done
  [ "${seeded:-0}" = 1 ] || { echo "!!! seeding failed: ${answer:-no answer}"; failed_seed=1; }
fi

openapi_url() {
  case "$1" in
    gatekeeper) echo "http://127.0.0.1:$gk_port/api/v3/openapi.json" ;;
    packager) echo "http://127.0.0.1:$pkg_port/api/v1/openapi.json" ;;
    catalogue) echo "$cat_url/openapi.json" ;;
    callback-mock) echo "http://127.0.0.1:$cb_port/api/v1/openapi.json" ;;
    *) echo "unknown service $1" >&2; return 1 ;;
  esac
}
origin() {
  case "$1" in
    gatekeeper) echo "http://127.0.0.1:$gk_port" ;;
    packager) echo "http://127.0.0.1:$pkg_port" ;;
    catalogue) echo "http://127.0.0.1:$cat_port" ;;
    callback-mock) echo "http://127.0.0.1:$cb_port" ;;
  esac
}

# Operations left out, by design: callback-mock's failure injection makes later callbacks answer
# 5xx on purpose, and its long-poll waits (10 s by default) for callbacks that never come.
extra_args() {
  case "$1" in
    callback-mock) echo "--exclude-path /api/v1/failures --exclude-path /api/v1/received/wait" ;;
  esac
}
export SCHEMATHESIS_HOOKS=contract_hooks PYTHONPATH="$root/scripts${PYTHONPATH:+:$PYTHONPATH}"

failed=()
[ "${failed_seed:-0}" = 1 ] && failed+=("seed-upload")
for service in "${services[@]}"; do
  url="$(openapi_url "$service")"
  echo "=== schemathesis $st_version: $service ($url)"
  if ! "$venv/bin/st" --no-color run "$url" --url "$(origin "$service")" \
      --checks not_a_server_error,response_schema_conformance \
      --max-examples "$max_examples" --seed "$seed" --max-time "$max_time" \
      --request-timeout 10 --workers 2 \
      --report junit --report-dir "$work/reports/$service" $(extra_args "$service"); then
    failed+=("$service")
  fi
done
for name in catalogue packager gatekeeper callback-mock; do
  if grep -qi "panicked" "$work/$name.log"; then
    echo "!!! $name logged a panic:"; grep -i -m5 -A3 "panicked" "$work/$name.log"; failed+=("$name(panic)")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "contract failures: ${failed[*]}"
  exit 1
fi
echo "contract: all ${#services[@]} services pass"
