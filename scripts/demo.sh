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
  [ -n "${KAGI_CACHE_DIR:-}" ] && rm -rf "$KAGI_CACHE_DIR"
  return 0
}
trap cleanup EXIT

export HOME=$tmp/home
export PATH="$root/bin:$PATH"   # credential_process = kagi ...
mkdir -p "$HOME/.aws"
cp "$root/demo/config" "$HOME/.aws/config"
chmod 600 "$HOME/.aws/config"

# Bold commands only on a terminal (and not with NO_COLOR, no-color.org):
# piped into a file or a CI log, escape codes are noise.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-}" != dumb ]; then
  step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
  step() { printf '\n$ %s\n' "$*"; }
fi

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
# The console's federation endpoint is no AWS SDK service: its own variable.
export KAGI_FEDERATION_ENDPOINT=$url/federation
echo "local AWS emulator (STS + IAM, SigV4-checked) at $url; HOME=$HOME"

# Throwaway stores: the encrypted file keyring in this HOME, the session
# cache in a private tmpfs directory (before the first kagi command: not
# even `kagi list` may look at this machine's own cache).
export KAGI_BACKEND=file KAGI_FILE_PASSPHRASE=demo-passphrase
if [ -d /dev/shm ]; then
  KAGI_CACHE_DIR=$(mktemp -d /dev/shm/kagi-demo-XXXXXX)
  export KAGI_CACHE_DIR
fi

step cat '~/.aws/config'
cat "$HOME/.aws/config"

step kagi list
"$kagi" list | cat

serial=arn:aws:iam::111111111111:mfa/jumpuser

step 'AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... kagi add jump --env'
AWS_ACCESS_KEY_ID=AKIADEMOJUMPUSER0001 AWS_SECRET_ACCESS_KEY=demo-secret-not-a-real-key "$kagi" add jump --env

code=$("$awsemu" totp --world "$root/demo/world.json" --serial "$serial")
# The AWS CLI, where it reads AWS_ENDPOINT_URL (v1 1.29+, v2 2.13+): an
# older one would send the demo's calls to AWS itself.
have_aws=false
if v=$(aws --version 2>&1) && [[ $v =~ aws-cli/([0-9]+)\.([0-9]+) ]]; then
  major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
  if (( major > 2 || (major == 2 && minor >= 13) || (major == 1 && minor >= 29) )); then
    have_aws=true
  fi
fi
if $have_aws; then
  whoami=(aws sts get-caller-identity --query Arn --output text)
else
  whoami=(sh -c 'echo "$KAGI_PROFILE: $AWS_ACCESS_KEY_ID until $AWS_CREDENTIAL_EXPIRATION"')
fi

step kagi exec prod --mfa-token "<the device's code>" -- "${whoami[@]}"
"$kagi" exec prod --mfa-token "$code" -- "${whoami[@]}"

step kagi exec dev -- "${whoami[@]}" '# another account: the MFA session is reused, no code'
"$kagi" exec dev -- "${whoami[@]}"

step kagi exec prod-readonly -- "${whoami[@]}" '# a role chained from prod'
"$kagi" exec prod-readonly -- "${whoami[@]}"

if $have_aws; then
  step aws sts get-caller-identity --profile prod-tf '# credential_process = kagi credential-process prod'
  aws sts get-caller-identity --profile prod-tf --query Arn --output text
fi

step kagi list '# stored keys and cached sessions'
"$kagi" list | cat

step curl "$url/_emu/stats" '# one GetSessionToken for everything above'
curl -fsS "$url/_emu/stats"; echo

# In the shell you are in: the function shell-init prints (for ~/.bashrc)
# sets the credentials in this shell, from the cache: no code.
step 'eval "$(kagi shell-init bash)"; kagi use prod; kagi prompt'
eval "$("$kagi" shell-init bash)"
kagi use prod
"$kagi" prompt
"${whoami[@]}"
kagi use --clear

step kagi login prod --stdout '# the console, signed in as the role, from the cached session'
"$kagi" login prod --stdout | sed 's/\(SigninToken=.\{12\}\).*/\1.../'

# IAM Identity Center: one sign-in (here $BROWSER is curl pressing Allow on
# the emulator's device page, as you would in the browser), a profile for
# every account and role the user is assigned, then all of them at once.
# kagi gives the browser a one-time link on 127.0.0.1 that redirects to the
# device page (the user code stays out of the browser's argv).
cat >"$tmp/approve.sh" <<'SH'
#!/bin/sh
page=$(curl -fsS --noproxy '*' -o /dev/null -w '%{redirect_url}' "$1") || exit 1
exec curl -fsS --noproxy '*' -o /dev/null -X POST "$page"
SH
chmod 700 "$tmp/approve.sh"
step kagi sso login --sso-session corp --use-device-code
BROWSER=$tmp/approve.sh "$kagi" sso login --sso-session corp --use-device-code 2>&1
step kagi sso profiles --write
"$kagi" sso profiles --write 2>&1
step kagi exec --profiles "'sandbox-*,audit-*'" -- "${whoami[@]}"
"$kagi" exec --profiles 'sandbox-*,audit-*' -- "${whoami[@]}" 2>&1

# A source_profile loop: a peer spins forever on this; kagi names the loop.
cat >"$tmp/loop.config" <<'CFG'
[profile a]
role_arn = arn:aws:iam::222222222222:role/admin
source_profile = b

[profile b]
role_arn = arn:aws:iam::333333333333:role/admin
source_profile = a
CFG
step AWS_CONFIG_FILE=loop.config kagi exec a -- true
AWS_CONFIG_FILE=$tmp/loop.config "$kagi" exec a -- true 2>&1 || true

step kagi exec prod --mfa-token 000000 -- true '# after kagi clear: a wrong code'
"$kagi" clear 2>/dev/null
"$kagi" exec prod --mfa-token 000000 -- true 2>&1 || true
