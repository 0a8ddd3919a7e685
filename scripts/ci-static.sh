#!/usr/bin/env bash
# make static-smoke: kagi as a CI job runs it. One static binary
# (CGO_ENABLED=0), an environment with nothing but the AWS_* variables it
# needs, no HOME, no terminal (setsid), no input (stdin is /dev/null), and a
# wall-clock bound: environment mode must assume the role with -u against the
# local emulator, keep nothing on disk (no keyring, no cache), and never wait.
# Where user namespaces allow it, the same run happens again inside an empty
# chroot that holds only the binary.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-go}
tmp=$(mktemp -d)
emu_pid=
cleanup() {
  if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "static-smoke: FAIL: $*" >&2; exit 1; }

echo "static-smoke: building kagi and awsemu with CGO_ENABLED=0"
(cd "$root" && CGO_ENABLED=0 "$GO" build -trimpath -o "$tmp/kagi" ./cmd/kagi && CGO_ENABLED=0 "$GO" build -trimpath -o "$tmp/awsemu" ./cmd/awsemu)
"$GO" version -m "$tmp/kagi" | grep -q 'CGO_ENABLED=0' || fail "kagi was not built with CGO_ENABLED=0"
if command -v readelf >/dev/null && readelf -l "$tmp/kagi" 2>/dev/null | grep -q INTERP; then
  fail "kagi asks for a dynamic loader"
fi

# Seed article 002's world: a CI user, and a role whose trust policy requires
# the session name to be the user's name.
cat >"$tmp/world.json" <<'EOF'
{"users":[{"account":"111111111111","name":"ci-user",
   "access_keys":[{"id":"AKIACIUSEREXAMPLE001","secret":"ci-secret-for-tests-only"}]}],
 "roles":[{"arn":"arn:aws:iam::222222222222:role/deploy",
   "trust":{"principals":["arn:aws:iam::111111111111:root"],"session_name":"${aws:username}"}},
  {"arn":"arn:aws:iam::222222222222:role/audit",
   "trust":{"principals":["arn:aws:iam::222222222222:role/deploy"]}}]}
EOF
"$tmp/awsemu" serve --world "$tmp/world.json" --addr 127.0.0.1:0 >"$tmp/emu.out" 2>"$tmp/emu.err" &
emu_pid=$!
url=
for _ in $(seq 1 200); do # a deadline of 10s, polled
  url=$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$tmp/emu.out" | head -n1)
  [ -n "$url" ] && break
  kill -0 "$emu_pid" 2>/dev/null || { cat "$tmp/emu.err" >&2; fail "the emulator did not start"; }
  sleep 0.05
done
[ -n "$url" ] || fail "the emulator did not start within 10s"

ci_env=(
  AWS_ENDPOINT_URL="$url"
  AWS_ACCESS_KEY_ID=AKIACIUSEREXAMPLE001
  AWS_SECRET_ACCESS_KEY=ci-secret-for-tests-only
  AWS_ROLE_ARN=arn:aws:iam::222222222222:role/deploy
  AWS_EC2_METADATA_DISABLED=true
)
# kagi's default cache directory and what is in it (not /dev/shm/kagi-*:
# tests running beside this script make kagi-test-* directories there).
shm_state() { find "/dev/shm/kagi-$(id -u)" 2>/dev/null | sort || true; }
shm_before=$(shm_state)

# check NAME RUN: the run's answer ($tmp/RUN.out) is the role's temporary
# credentials, and its stderr ($tmp/RUN.err) holds no secret.
check() {
  grep -q '"AccessKeyId":"ASIA' "$tmp/$2.out" || { cat "$tmp/$2.out" "$tmp/$2.err" >&2; fail "$1: no temporary credentials in the output"; }
  if grep -q 'ci-secret-for-tests-only' "$tmp/$2.err"; then fail "$1: the secret key reached stderr"; fi
  echo "static-smoke: ok: $1"
}

# 1. No HOME, no PATH, no terminal, no input: a bare container.
timeout 20 setsid env -i "${ci_env[@]}" "$tmp/kagi" export -u --format json \
  </dev/null >"$tmp/bare.out" 2>"$tmp/bare.err" || { cat "$tmp/bare.err" >&2; fail "bare environment: kagi failed or did not finish within 20s"; }
check "bare environment (no HOME, no terminal, stdin /dev/null)" bare

# 2. HOME and the XDG directories present but empty: nothing may appear in
# them (no keyring file, no cache entry), nor in /dev/shm/kagi-*.
scratch=$tmp/scratch
mkdir -p "$scratch/home" "$scratch/config" "$scratch/data" "$scratch/cache" "$scratch/run"
chmod 700 "$scratch/run"
timeout 20 setsid env -i "${ci_env[@]}" HOME="$scratch/home" XDG_CONFIG_HOME="$scratch/config" \
  XDG_DATA_HOME="$scratch/data" XDG_CACHE_HOME="$scratch/cache" XDG_RUNTIME_DIR="$scratch/run" \
  "$tmp/kagi" exec -u -- "$tmp/kagi" export --role-arn arn:aws:iam::222222222222:role/audit -u --format json \
  </dev/null >"$tmp/home.out" 2>"$tmp/home.err" || { cat "$tmp/home.err" >&2; fail "with an empty HOME: kagi failed or did not finish within 20s"; }
check "empty HOME and XDG directories (exec, and a kagi inside it running as the role)" home
left=$(find "$scratch" -mindepth 1 -not -type d)
[ -z "$left" ] || fail "environment mode wrote files: $left"
shm_after=$(shm_state)
[ "$shm_before" = "$shm_after" ] || fail "environment mode wrote into kagi's cache directory /dev/shm/kagi-$(id -u)"
echo "static-smoke: ok: no file written under HOME, XDG_*_HOME, XDG_RUNTIME_DIR or /dev/shm/kagi-$(id -u)"

# 3. An empty root with only the binary: no /etc, /tmp, /dev or shell.
# (Absolute paths: env -i leaves no PATH.)
chroot_cmd=
chroot_bin=$(command -v chroot || true)
if [ -n "$chroot_bin" ] && [ "$(id -u)" = 0 ]; then
  chroot_cmd=$chroot_bin
elif [ -n "$chroot_bin" ] && command -v unshare >/dev/null && unshare --user --map-root-user true 2>/dev/null; then
  chroot_cmd="$(command -v unshare) --user --map-root-user $chroot_bin"
fi
if [ -n "$chroot_cmd" ]; then
  jail=$tmp/jail
  mkdir -p "$jail"
  cp "$tmp/kagi" "$jail/kagi"
  # shellcheck disable=SC2086 # chroot_cmd is a command and its arguments
  timeout 20 setsid env -i "${ci_env[@]}" $chroot_cmd "$jail" /kagi export -u --format json \
    </dev/null >"$tmp/jail.out" 2>"$tmp/jail.err" || { cat "$tmp/jail.err" >&2; fail "empty chroot: kagi failed or did not finish within 20s"; }
  check "empty chroot holding only the binary" jail
  extra=$(find "$jail" -mindepth 1 -not -path "$jail/kagi")
  [ -z "$extra" ] || fail "environment mode wrote into the chroot: $extra"
else
  echo "static-smoke: skip: empty chroot (needs root or unprivileged user namespaces)"
fi
echo "static-smoke: PASS"
