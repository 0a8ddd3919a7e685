#!/usr/bin/env bash
# Runs a command (default: the test suite, as `make test` runs it) with the
# real per-user cache directories planted with sessions for the README's
# profile names, and fails if the command read its way to them (a test then
# fails: it sees sessions it did not make) or changed them (checked after).
# Everything planted is taken out again, whatever happens.
#
#   scripts/with-planted-cache.sh                    # go test -count=1 ./...
#   scripts/with-planted-cache.sh make test
#   scripts/with-planted-cache.sh go test ./internal/cli/
#
# The directories are kagi's defaults: /dev/shm/kagi-UID and
# $XDG_RUNTIME_DIR/kagi. Where XDG_RUNTIME_DIR is unset (CI, SSH logins) a
# throwaway one on /dev/shm stands in for a desktop session's, so both
# fallbacks are covered. HOME is replaced for the command by a throwaway
# one holding ~/.aws/config with the same profiles, so a test that reads the
# real HOME's files finds profiles it did not write too; the real HOME is
# never written. Go's caches and its env file stay where they are.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$#" -gt 0 ] || set -- go test -count=1 ./...

GO=${GO:-go}
work=$(mktemp -d)
tool=$work/plantcache
dirs=()
manifests=()
xdg_made=""

restore() {
  local i
  for i in "${!dirs[@]}"; do
    "$tool" remove "${dirs[$i]}" "${manifests[$i]}" || echo "with-planted-cache: could not take out what was planted in ${dirs[$i]}" >&2
  done
  [ -n "$xdg_made" ] && rm -rf "$xdg_made"
  rm -rf "$work"
}
trap restore EXIT

# Go's caches are found through HOME unless named: name them before HOME changes.
GOCACHE=$("$GO" env GOCACHE) GOMODCACHE=$("$GO" env GOMODCACHE) GOPATH=$("$GO" env GOPATH) GOENV=$("$GO" env GOENV)
export GOCACHE GOMODCACHE GOPATH GOENV
"$GO" build -o "$tool" ./scripts/plantcache

if [ -z "${XDG_RUNTIME_DIR:-}" ] && [ -d /dev/shm ]; then
  xdg_made=$(mktemp -d /dev/shm/kagi-xdg-XXXXXX)
  export XDG_RUNTIME_DIR=$xdg_made
fi
candidates=()
[ -d /dev/shm ] && candidates+=("/dev/shm/kagi-$(id -u)")
[ -n "${XDG_RUNTIME_DIR:-}" ] && [ -d "$XDG_RUNTIME_DIR" ] && candidates+=("$XDG_RUNTIME_DIR/kagi")
for d in "${candidates[@]}"; do
  m=$work/manifest.${#dirs[@]}
  "$tool" plant "$d" "$m"
  dirs+=("$d")
  manifests+=("$m")
  echo "with-planted-cache: planted sessions for the README's profiles in $d" >&2
done

home=$work/home
mkdir -p "$home/.aws"
cat >"$home/.aws/config" <<'CFG'
# planted by scripts/with-planted-cache.sh: no test may read this file
[profile jump]
mfa_serial = arn:aws:iam::999999999999:mfa/planted
[profile prod]
role_arn = arn:aws:iam::999999999999:role/planted
source_profile = jump
[profile dev]
role_arn = arn:aws:iam::999999999999:role/planted-dev
source_profile = jump
[profile plain]
CFG
cat >"$home/.aws/credentials" <<'CFG'
[default]
aws_access_key_id = AKIAPLANTEDBYTESTS01
aws_secret_access_key = planted-secret-no-test-may-read
CFG
chmod 600 "$home/.aws/config" "$home/.aws/credentials"

status=0
HOME=$home "$@" || status=$?

for i in "${!dirs[@]}"; do
  "$tool" check "${dirs[$i]}" "${manifests[$i]}" || status=1
done
if [ "$status" -eq 0 ]; then
  echo "with-planted-cache: the run passed and left the planted cache directories as they were" >&2
fi
exit "$status"
