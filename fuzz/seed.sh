#!/usr/bin/env bash
# Seed the fuzz corpora from ../shared/fixtures (copies into fuzz/corpus/, which is gitignored:
# fixture bytes are never committed). Usage: fuzz/seed.sh [FIXTURES_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="${1:-$here/../../shared/fixtures}"
corpus="$here/corpus"
mkdir -p "$corpus"/{archive,meta_files,meta_blocks,napd_yaml}
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# archive: every fixture package up to 64 KiB (the one 2 MiB package would set a huge max_len).
find "$fixtures/packages" -name '*.tgo' -size -65k | while read -r f; do
  cp "$f" "$corpus/archive/$(basename "$f")"
done

# The meta files of every package and project: TOSCA.meta, *.mf, NAPD.yaml.
n=0
add_triple() { # tosca manifest napd (paths, possibly empty files)
  n=$((n + 1))
  { cat "$1"; printf '\377'; cat "$2"; printf '\377'; cat "$3"; } > "$corpus/meta_files/seed-$n"
  cp "$1" "$corpus/meta_blocks/tosca-$n"
  cp "$2" "$corpus/meta_blocks/mf-$n"
  cp "$3" "$corpus/napd_yaml/napd-$n"
}
i=0
for pkg in $(find "$fixtures/packages" -name '*.tgo' -size -65k); do
  i=$((i + 1)); d="$scratch/p$i"; mkdir -p "$d"
  unzip -qq -o "$pkg" -d "$d" 2>/dev/null || continue
  t="$(find "$d" -name TOSCA.meta | head -1)"; [ -n "$t" ] || continue
  m="$(find "$d" -maxdepth 2 -name '*.mf' | head -1)"; [ -n "$m" ] || m=/dev/null
  y="$(find "$d" -name NAPD.yaml | head -1)"; [ -n "$y" ] || y=/dev/null
  add_triple "$t" "$m" "$y"
done
for t in $(find "$fixtures/projects" -name TOSCA.meta); do
  p="$(dirname "$(dirname "$t")")"
  m="$(find "$p" -maxdepth 1 -name '*.mf' | head -1)"; [ -n "$m" ] || m=/dev/null
  y="$p/TOSCA-Metadata/NAPD.yaml"; [ -f "$y" ] || y=/dev/null
  add_triple "$t" "$m" "$y"
done
cp "$fixtures/schemas/package-specification/napd-schema.yml" "$corpus/napd_yaml/" 2>/dev/null || true
for d in "$corpus"/*; do echo "$(basename "$d"): $(ls "$d" | wc -l) seeds"; done
