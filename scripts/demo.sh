#!/usr/bin/env bash
# make demo: kagi against the local AWS emulator, in a throwaway HOME, on a
# machine with no AWS account. Builds nothing itself (make demo builds first).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
kagi=$root/bin/kagi
awsemu=$root/bin/awsemu
[ -x "$kagi" ] && [ -x "$awsemu" ] || { echo "demo: run 'make demo' (it builds bin/kagi and bin/awsemu)" >&2; exit 1; }

# Nothing of this machine's AWS setup may leak in: no keys, profiles, CA
# bundles or proxies from the caller's environment.
for v in $(compgen -e); do
  case $v in AWS_*|KAGI_*|SSL_CERT_*|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|*_PROXY|*_proxy) unset "$v" ;; esac
done

tmp=$(mktemp -d)
emu_pid=
cleanup() {
  [ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

export HOME=$tmp/home
mkdir -p "$HOME/.aws"
cp "$root/demo/config" "$HOME/.aws/config"
chmod 600 "$HOME/.aws/config"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

# Start the emulator on a random loopback port and wait (with a deadline) for
# the line that names its address.
"$awsemu" serve --world "$root/demo/world.json" --addr 127.0.0.1:0 >"$tmp/emu.out" 2>"$tmp/emu.err" &
emu_pid=$!
url=
for _ in $(seq 1 100); do
  url=$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$tmp/emu.out" | head -n1)
  [ -n "$url" ] && break
  kill -0 "$emu_pid" 2>/dev/null || { cat "$tmp/emu.err" >&2; exit 1; }
  sleep 0.05
done
[ -n "$url" ] || { echo "demo: the emulator did not start" >&2; cat "$tmp/emu.err" >&2; exit 1; }
export AWS_ENDPOINT_URL=$url
echo "local AWS emulator (STS + IAM, SigV4-checked) at $url; HOME=$HOME"

step cat '~/.aws/config'
cat "$HOME/.aws/config"

step kagi list
"$kagi" list | cat
step kagi list --json '| head -n 20'
"$kagi" list --json | head -n 20

# A source_profile loop: a peer spins forever on this; kagi names the loop.
cat >"$tmp/loop.config" <<'CFG'
[profile a]
role_arn = arn:aws:iam::222222222222:role/admin
source_profile = b

[profile b]
role_arn = arn:aws:iam::333333333333:role/admin
source_profile = a
CFG
step AWS_CONFIG_FILE=loop.config kagi list
AWS_CONFIG_FILE=$tmp/loop.config "$kagi" list | cat

# The emulator checks what STS checks; the AWS CLI, when present, shows it.
if command -v aws >/dev/null; then
  serial=arn:aws:iam::111111111111:mfa/jumpuser
  export AWS_ACCESS_KEY_ID=AKIADEMOJUMPUSER0001 AWS_DEFAULT_REGION=us-east-1
  step aws sts get-caller-identity '# jump user, right secret'
  AWS_SECRET_ACCESS_KEY=demo-secret-not-a-real-key aws sts get-caller-identity --output text
  step aws sts get-caller-identity '# wrong secret'
  AWS_SECRET_ACCESS_KEY=wrong aws sts get-caller-identity --output text 2>&1 || true
  code=$("$awsemu" totp --world "$root/demo/world.json" --serial "$serial")
  step aws sts get-session-token --serial-number "$serial" --token-code '<current TOTP code>'
  AWS_SECRET_ACCESS_KEY=demo-secret-not-a-real-key aws sts get-session-token \
    --serial-number "$serial" --token-code "$code" --query 'Credentials.Expiration' --output text
  step aws sts get-session-token '# the same code again'
  AWS_SECRET_ACCESS_KEY=demo-secret-not-a-real-key aws sts get-session-token \
    --serial-number "$serial" --token-code "$code" --output text 2>&1 || true
  unset AWS_ACCESS_KEY_ID AWS_DEFAULT_REGION
fi

step curl "$url/_emu/stats"
curl -fsS "$url/_emu/stats"; echo
