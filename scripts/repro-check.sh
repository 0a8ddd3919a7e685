#!/usr/bin/env bash
# make repro-check: build the release of HEAD twice and require byte-identical
# results. Each build runs in its own fresh clone (scripts/release.sh) under a
# different directory, one after the other; the second differs from the first
# in everything a builder's machine may differ in that must not matter:
#   - an empty go build cache (every package compiled again, nothing reused)
#   - another time zone, umask, locale and GOFLAGS
#   - a longer output path
# Builds are compared file by file: the archives (so the binaries in them),
# the SBOMs, SHA256SUMS and the manifests.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-go}
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

start=$(date +%s)
echo "repro-check: build 1 of 2: this machine's build cache, TZ=UTC, umask 022"
(umask 022; TZ=UTC GO=$GO "$root/scripts/release.sh" "$tmp/one") >"$tmp/one.log" 2>&1 ||
  { cat "$tmp/one.log"; echo "repro-check: FAIL: build 1 failed" >&2; exit 1; }
mid=$(date +%s)
echo "repro-check: build 1 took $((mid - start))s"

echo "repro-check: build 2 of 2: an empty build cache, TZ=Pacific/Chatham, umask 077, LC_ALL=C, GOFLAGS=-buildvcs=false"
(umask 077; TZ=Pacific/Chatham LC_ALL=C GOFLAGS=-buildvcs=false GOCACHE="$tmp/gocache" GO=$GO \
  "$root/scripts/release.sh" "$tmp/elsewhere/at/another/depth/two") >"$tmp/two.log" 2>&1 ||
  { cat "$tmp/two.log"; echo "repro-check: FAIL: build 2 failed" >&2; exit 1; }
end=$(date +%s)
echo "repro-check: build 2 took $((end - mid))s"

one=$tmp/one two=$tmp/elsewhere/at/another/depth/two
if ! diff <(cd "$one" && ls -A) <(cd "$two" && ls -A) >"$tmp/ls.diff"; then
  cat "$tmp/ls.diff"
  echo "repro-check: FAIL: the two builds made different files" >&2
  exit 1
fi
differ=0
for f in $(cd "$one" && ls -A); do
  if cmp -s "$one/$f" "$two/$f"; then
    echo "repro-check: identical: $f"
  else
    echo "repro-check: DIFFERS: $f"
    differ=1
  fi
done
if [ "$differ" = 1 ]; then
  echo "repro-check: FAIL: two builds of $(git -C "$root" rev-parse --short=12 HEAD) differ (compare the binaries with go version -m and cmp -l)" >&2
  exit 1
fi

# The host's own binary says what it was built from.
host=$("$GO" env GOOS)_$("$GO" env GOARCH)
if archive=$(ls "$one"/kagi_*_"$host".tar.gz 2>/dev/null); then
  mkdir "$tmp/x" && tar -xzf "$archive" -C "$tmp/x" kagi
  echo "repro-check: $("$tmp/x/kagi" version)"
fi
echo "repro-check: ok: $(ls -A "$one" | wc -l) files byte-identical across two builds of $(git -C "$root" rev-parse --short=12 HEAD) ($((end - start))s)"
