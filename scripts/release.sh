#!/usr/bin/env bash
# make release: kagi's release artifacts for the commit at HEAD, into DIR
# (default dist): per target an archive and an SBOM, SHA256SUMS, the Homebrew
# formula kagi.rb and the Scoop manifest kagi.json (scripts/release/main.go).
#
# The build runs in a fresh clone of HEAD in a temporary directory: what is
# released is the commit, never uncommitted files, and the go command stamps
# the commit, its date and the version (a tag at HEAD, or Go's pseudo-version)
# into the binary, which it cannot do from a git worktree. The only network
# access is the go command's, to the module proxy, for modules not yet in the
# module cache.
#
#   scripts/release.sh [DIR]      RELEASE_TARGETS='linux/amd64 ...'  GO=go
set -euo pipefail

GO=${GO:-go}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-dist}
case $out in /*) ;; *) out=$PWD/$out ;; esac
targets=${RELEASE_TARGETS:-"linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64"}

commit=$(git -C "$root" rev-parse HEAD)
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
  echo "release: warning: uncommitted changes are not released; building commit $commit" >&2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q --no-checkout "$root" "$tmp/kagi"
git -C "$tmp/kagi" -c advice.detachedHead=false checkout -q "$commit"

rm -rf "$out"
(cd "$tmp/kagi" && "$GO" run ./scripts/release -go "$GO" -out "$out" -targets "$targets")
echo "release: SHA256SUMS:"
sed 's/^/release:   /' "$out/SHA256SUMS"
