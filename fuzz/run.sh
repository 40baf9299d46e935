#!/usr/bin/env bash
# Run every fuzz target for SECONDS (default 300) each, one after the other, seeded from
# ../shared/fixtures. Needs cargo-fuzz (`cargo install cargo-fuzz`); on a stable toolchain the
# nightly flags are allowed with RUSTC_BOOTSTRAP=1. Logs and stats go to fuzz/logs/.
# Usage: fuzz/run.sh [SECONDS] [target ...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
seconds="${1:-300}"; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(archive meta_files meta_blocks napd_yaml)
./seed.sh >/dev/null
mkdir -p logs
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
  max_len=4096
  [ "$t" = archive ] && max_len=65536
  echo "=== $t for ${seconds}s (log: fuzz/logs/$t.log)"
  cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$seconds" -max_len="$max_len" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"logs/$t.log" 2>&1 || {
      echo "!!! $t stopped with a finding: see fuzz/logs/$t.log and fuzz/artifacts/$t/"; }
  grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added|stat::peak_rss_mb|Done [0-9]+ runs" "logs/$t.log" || true
  grep -E "^#[0-9]+.*(DONE|cov:)" "logs/$t.log" | tail -n 1 || true
done
