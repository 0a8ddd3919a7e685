#!/usr/bin/env bash
# Red-team run of issue 9 ("Trust: credentials only where they belong"),
# extended to the surfaces of issues 12 to 14 (rows 13 to 20):
# attacks one kagi binary and prints a markdown table, one row per attack:
# what was tried, what was measured, and whether the promise held. Every
# verdict comes from a check in this script, never from a hand-written word.
#
#   scripts/redteam.sh                          # attacks bin/kagi
#   KAGI=/tmp/kagi-old scripts/redteam.sh       # attacks another build
#
# Needs bin/awsemu (make build), curl, jq, timeout, and ideally root: the
# cache-directory attacks run kagi as the unprivileged user kagi-victim
# against the real default /dev/shm/kagi-UID that the user kagi-attacker
# plants first (both users must exist), and the device node needs mknod.
# Without root those rows say "not run: needs root".
#
# Each attack has a throwaway HOME, an environment built from nothing (env -i:
# no AWS_*, KAGI_*, SSL_CERT_*, proxies or XDG_* of this machine), the
# encrypted file keyring with a passphrase, its own KAGI_CACHE_DIR under
# /dev/shm (except the cache-directory attacks), no controlling terminal, and
# a time bound on every command. The STS is the emulator (bin/awsemu) on a
# random loopback port. Everything created is removed on exit.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
KAGI=${KAGI:-$root/bin/kagi}
case $KAGI in /*) ;; *) KAGI=$PWD/$KAGI ;; esac
awsemu=$root/bin/awsemu
for f in "$KAGI" "$awsemu"; do
  [ -x "$f" ] || { echo "redteam: $f is not an executable (run 'make build'; KAGI=/path/to/kagi for another build)" >&2; exit 1; }
done
for c in curl jq timeout; do
  command -v "$c" >/dev/null || { echo "redteam: needs $c" >&2; exit 1; }
done

# kagi may ask on /dev/tty; without a controlling terminal it cannot, so no
# attack waits for a person. Run the whole script in a new session when
# started from a terminal.
if [ -z "${REDTEAM_NO_TTY:-}" ] && (: </dev/tty) 2>/dev/null; then
  exec setsid -w env REDTEAM_NO_TTY=1 KAGI="$KAGI" bash "$0" "$@"
fi

VICTIM=kagi-victim
ATTACKER=kagi-attacker
PASS=redteam-file-passphrase
SEED=GEZDGNBVGY3TQOJQREDTEAMSEED
ACCOUNT=111111111111
ADMIN_ROLE=arn:aws:iam::333333333333:role/admin
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
is_root=false
[ "$(id -u)" = 0 ] && is_root=true

# ---------------------------------------------------------------- set-up --

tmp=$(mktemp -d /tmp/kagi-redteam-XXXXXX)
chmod 711 "$tmp" # the victim reaches its HOME below it; nobody lists it
emu_pid=
cleanup_paths=()  # removed on exit
victim_shm=
cleanup() {
  local p
  if [ -n "$emu_pid" ]; then kill "$emu_pid" 2>/dev/null; wait "$emu_pid" 2>/dev/null; fi
  # A helper's grandchild (attack 8) writes its pid where we can find it.
  for p in "$tmp"/*/grandchild.pid; do
    [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
  done
  [ -n "$victim_shm" ] && unplant
  for p in "${cleanup_paths[@]}"; do rm -rf "$p"; done
  if [ -n "${REDTEAM_KEEP:-}" ]; then echo "redteam: kept $tmp" >&2; else rm -rf "$tmp"; fi
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$tmp/bin"
chmod 755 "$tmp/bin"

# The world: one IAM user (own keys, own MFA device) per attack, so no attack
# spends another's TOTP codes; rt06 has a second key for the key rotation;
# rtplain has keys and no MFA device.
user_json() { # N [extra key]
  local keys="{\"id\": \"AKIAREDTEAMUSER000$1\", \"secret\": \"rt-secret-$1-not-a-real-key\"}"
  [ -n "${2:-}" ] && keys="$keys, {\"id\": \"$2\", \"secret\": \"rt-rotated-secret-$1\"}"
  printf '{"account": "%s", "name": "rt%s", "access_keys": [%s], "mfa": {"serial": "arn:aws:iam::%s:mfa/rt%s", "totp_secret": "JBSWY3DPEHPK3PXP"}}' \
    "$ACCOUNT" "$1" "$keys" "$ACCOUNT" "$1"
}
{
  echo '{"users": ['
  for n in 01 02 03 04 05 07 08 09 10 11 12 13; do user_json "$n"; echo ,; done
  user_json 06 AKIAREDTEAMROTATED06; echo ,
  echo '{"account": "111111111111", "name": "rtplain", "access_keys": [{"id": "AKIAREDTEAMPLAIN0004", "secret": "rt-plain-secret-not-real"}]}'
  echo '], "roles": ['
  echo "{\"arn\": \"$ADMIN_ROLE\", \"trust\": {\"principals\": [\"arn:aws:iam::$ACCOUNT:root\"], \"require_mfa\": true}, \"max_session_duration\": 43200}"
  echo '],'
  # IAM Identity Center (rows 14, 18): the victim alice, and mallory, whom
  # the attacker can sign in as (another employee of the same company).
  echo '"sso": {"start_url": "https://example.awsapps.com/start", "region": "us-east-1", "users": ['
  echo '  {"name": "alice@example.com", "assignments": [{"account": "222222222222", "account_name": "alice-prod", "role": "AdministratorAccess"}]},'
  echo '  {"name": "mallory@example.com", "assignments": [{"account": "666666666666", "account_name": "mallory-sandbox", "role": "AdministratorAccess"}]}]}'
  echo '}'
} >"$tmp/world.json"

"$awsemu" serve --world "$tmp/world.json" --addr 127.0.0.1:0 >"$tmp/emu.out" 2>"$tmp/emu.err" &
emu_pid=$!
url=
for _ in $(seq 1 100); do
  url=$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$tmp/emu.out" | head -n1)
  [ -n "$url" ] && break
  kill -0 "$emu_pid" 2>/dev/null || break
  sleep 0.05
done
[ -n "$url" ] || { echo "redteam: the emulator did not start" >&2; cat "$tmp/emu.err" >&2; exit 1; }

emu() { curl -fsS --max-time 5 "$@"; }
faults() { emu -X POST -d "$1" "$url/_emu/faults" >/dev/null; }
fresh_code() { emu "$url/_emu/totp?serial=arn:aws:iam::$ACCOUNT:mfa/rt$1&fresh=1"; }
requests_by() { # ACTION KEYID: how many such requests the emulator saw
  emu "$url/_emu/requests" | jq --arg a "$1" --arg k "$2" '[.[] | select(.action == $a and .access_key_id == $k)] | length'
}

# mfa COUNTFILE N: counts its runs, prints a fresh code of device rtN (or
# 123456 when N is "-").
cat >"$tmp/bin/mfa" <<EOF
#!/bin/sh
echo run >>"\$1"
[ "\$2" = - ] && { echo 123456; exit 0; }
exec curl -fsS --max-time 5 "$url/_emu/totp?serial=arn:aws:iam::$ACCOUNT:mfa/rt\$2&fresh=1"
EOF
# fake-oathtool: an oathtool that fails, saying nothing about its arguments.
cat >"$tmp/bin/fake-oathtool" <<'EOF'
#!/bin/sh
echo "fake-oathtool: cannot read the device" >&2
exit 1
EOF
chmod 755 "$tmp/bin/mfa" "$tmp/bin/fake-oathtool"

# ------------------------------------------------------------- running kagi --

# attack_dir N [OWNER]: a fresh directory for attack N with home/.aws; prints it.
attack_dir() {
  local d=$tmp/a$1
  mkdir -p "$d/home/.aws"
  chmod 755 "$d" "$d/home" "$d/home/.aws"
  : >"$d/mfa.count"
  chmod 666 "$d/mfa.count"
  [ -n "${2:-}" ] && chown -R "$2:" "$d/home"
  echo "$d"
}

# new_cache: a private cache directory under /dev/shm; prints it.
new_cache() {
  local c
  c=$(mktemp -d /dev/shm/kagi-redteam-XXXXXX)
  echo "$c"
}

# config DIR N: the usual profiles against device rtN: jump (stored keys,
# MFA through the counting mfa_process) and prod (a role from jump).
config() {
  cat >"$1/home/.aws/config" <<EOF
[profile jump]
mfa_serial = arn:aws:iam::$ACCOUNT:mfa/rt$2
mfa_process = $tmp/bin/mfa $1/mfa.count $2

[profile prod]
role_arn = $ADMIN_ROLE
source_profile = jump
mfa_serial = arn:aws:iam::$ACCOUNT:mfa/rt$2
mfa_process = $tmp/bin/mfa $1/mfa.count $2
EOF
  chmod 600 "$1/home/.aws/config"
}

# k DIR ARGS...: run kagi with HOME=DIR/home in an environment built from
# nothing. Dynamic settings, set with `local` by the caller:
#   CACHE     KAGI_CACHE_DIR (none when empty: kagi picks its default)
#   EXTRA     an array of more VAR=VALUE
#   KT        time bound in seconds (default 30)
#   AS_USER   run as this user (setpriv)
#   WRAP      an array: a command to run it under (/usr/bin/time -v ...)
WRAP=()
EXTRA=()
k() {
  local d=$1; shift
  local -a pre=("${WRAP[@]}" timeout -k 5 "${KT:-30}")
  [ -n "${AS_USER:-}" ] && pre+=(setpriv --reuid="$AS_USER" --regid="$AS_USER" --clear-groups)
  local -a vars=(PATH="$tmp/bin:/usr/local/bin:/usr/bin:/bin" HOME="$d/home" LANG=C.UTF-8
    KAGI_BACKEND=file KAGI_FILE_PASSPHRASE="$PASS" AWS_ENDPOINT_URL="$url" AWS_REGION=us-east-1)
  [ -n "${CACHE:-}" ] && vars+=(KAGI_CACHE_DIR="$CACHE")
  "${pre[@]}" env -i "${vars[@]}" "${EXTRA[@]}" "$KAGI" "$@" </dev/null
}

# add_keys DIR PROFILE KEYID SECRET
add_keys() {
  local -a EXTRA=("${EXTRA[@]}" AWS_ACCESS_KEY_ID="$3" AWS_SECRET_ACCESS_KEY="$4")
  k "$1" add "$2" --env >/dev/null 2>>"$1/add.err"
}
add_jump() { add_keys "$1" jump "AKIAREDTEAMUSER000$2" "rt-secret-$2-not-a-real-key"; }

now() { echo "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
lines() { grep -c "$@" 2>/dev/null || true; }
# first PATTERN FILE [WIDTH]: the first line of FILE matching PATTERN,
# shortened, safe in a table cell
first() { grep -m1 -e "$1" "$2" 2>/dev/null | cut -c1-"${3:-220}" | sed 's/|/\\|/g; s/`/'"'"'/g'; }

ROWS=()
row() { ROWS+=("| $1 | $2 | $3 | $4 |"); }
verdict() { if "$@"; then echo held; else echo '**LOST**'; fi; }

need_root() { # ATTACK TRIED [users]: are we root (and do both users exist)?
  if ! $is_root; then
    row "$1" "$2" "not run: needs root" "not run"; return 1
  fi
  if [ -n "${3:-}" ] && ! { id "$VICTIM" && id "$ATTACKER"; } >/dev/null 2>&1; then
    row "$1" "$2" "not run: needs the users $VICTIM and $ATTACKER" "not run"; return 1
  fi
}

# ----------------------------------------------------------------- attacks --

# 1. 50 processes at once against an STS that does not answer.
attack_dead_sts() {
  local d CACHE KT=60 i dead=http://127.0.0.1:1
  local -a EXTRA=()
  d=$(attack_dir 1); CACHE=$(new_cache); cleanup_paths+=("$CACHE")
  config "$d" -
  sed -i "s|mfa_serial = .*|mfa_serial = arn:aws:iam::$ACCOUNT:mfa/rt01|" "$d/home/.aws/config"
  add_jump "$d" 01
  if curl -s --max-time 2 "$dead" >/dev/null 2>&1; then
    row "1 dead STS" "-" "not run: something answers on $dead" "not run"; return
  fi
  EXTRA=(AWS_ENDPOINT_URL=$dead)
  local t0 t1
  local -a pids=()
  t0=$(now)
  for i in $(seq 1 50); do
    (k "$d" export prod >/dev/null 2>"$d/err.$i"; echo $? >"$d/rc.$i") &
    pids+=($!)
  done
  wait "${pids[@]}"
  t1=$(now)
  local runs wall capped failed distinct
  runs=$(wc -l <"$d/mfa.count")
  wall=$(secs "$t0" "$t1")
  capped=$(cat "$d"/rc.* | grep -cx 124)
  failed=$(cat "$d"/rc.* | grep -vcx 0)
  cat "$d"/err.* | grep '^kagi: error:' | sort -u >"$d/distinct"
  distinct=$(wc -l <"$d/distinct")
  local shown="$wall s"
  [ "$capped" -gt 0 ] && shown="> $KT s ($capped of 50 still running, killed at the cap)"
  # The failure must be the dead STS, not something else that fails early.
  local sts=0; grep -q '127.0.0.1:1' "$d/distinct" && sts=1
  row "1 dead STS" "50 × \`kagi export prod\` at once, STS = closed port, mfa_process counts runs" \
    "mfa_process runs: $runs; wall: $shown; exit≠0: $failed/50; distinct error lines: $distinct (\`$(first . "$d/distinct")\`)" \
    "$(verdict awk -v r="$runs" -v w="$wall" -v c="$capped" -v f="$failed" -v s="$sts" 'BEGIN { exit !(r <= 1 && w < 30 && c == 0 && f == 50 && s) }')"
}

# Plant /dev/shm/kagi-<victim uid> as the attacker. KIND: squat | link TARGET.
# The multi-user tests of `make test` use the same victim user and path: wait
# (bounded) until nobody has it, and remember the inode of what we planted so
# that a row whose plant was changed under it is reported, not judged, and
# cleanup removes only our own plant.
plant_ino=
plant() {
  local vuid i
  vuid=$(id -u "$VICTIM")
  victim_shm=/dev/shm/kagi-$vuid
  for i in $(seq 1 300); do
    [ -e "$victim_shm" ] || [ -L "$victim_shm" ] || break
    sleep 0.2
  done
  if [ -e "$victim_shm" ] || [ -L "$victim_shm" ]; then return 1; fi
  case $1 in
    squat) setpriv --reuid="$ATTACKER" --regid="$ATTACKER" --clear-groups sh -c "umask 0; mkdir -m 0777 '$victim_shm'" ;;
    link) setpriv --reuid="$ATTACKER" --regid="$ATTACKER" --clear-groups ln -s "$2" "$victim_shm" ;;
  esac || return 1
  plant_ino=$(stat -c %i "$victim_shm")
}
plant_intact() { [ -n "$plant_ino" ] && [ "$(stat -c %i "$victim_shm" 2>/dev/null)" = "$plant_ino" ]; }
unplant() {
  plant_intact && rm -rf "$victim_shm" # a symlink itself, never what it points to
  plant_ino=
}

# victim_runs N: as the victim, store keys, then `kagi export prod` twice.
# Leaves rc1 rc2 and err1 err2 in the attack directory.
victim_runs() {
  local d=$1 n=$2
  local AS_USER=$VICTIM CACHE= KT=30
  local -a EXTRA=()
  chown -R "$VICTIM:" "$d/home"
  add_jump "$d" "$n"
  k "$d" export prod >"$d/out1" 2>"$d/err1"; echo $? >"$d/rc1"
  k "$d" export prod >"$d/out2" 2>"$d/err2"; echo $? >"$d/rc2"
}

# 2. Another user made /dev/shm/kagi-<victim uid> first, mode 0777.
attack_squat() {
  need_root "2 squatted cache dir" "$ATTACKER makes /dev/shm/kagi-<victim uid> 0777 first" users || return
  local d; d=$(attack_dir 2 "$VICTIM")
  config "$d" 02
  plant squat || { row "2 squatted cache dir" "-" "not run: $victim_shm stayed in use by another run (make test?) for 60 s" "not run"; return; }
  victim_runs "$d" 02
  plant_intact || { unplant; row "2 squatted cache dir" "-" "not run: another run (make test?) replaced $victim_shm meanwhile" "not run"; return; }
  local rc1 rc2 runs warn victim_files
  rc1=$(cat "$d/rc1"); rc2=$(cat "$d/rc2"); runs=$(wc -l <"$d/mfa.count")
  warn="$(lines '^kagi: warning' "$d/err1"), $(lines '^kagi: warning' "$d/err2")"
  victim_files=$(find "$victim_shm" -mindepth 1 -user "$VICTIM" 2>/dev/null | wc -l)
  row "2 squatted cache dir" "$ATTACKER makes /dev/shm/kagi-<victim uid> 0777 first; victim ($VICTIM, no XDG_RUNTIME_DIR) runs \`kagi export prod\` twice" \
    "exit codes: $rc1, $rc2; MFA prompts: $runs; warning lines: $warn (\`$(first 'kagi: \(warning\|error\)' "$d/err1")\`); victim files in squatted dir: $victim_files" \
    "$(verdict test "$rc1" = 0 -a "$rc2" = 0 -a "$runs" -le 1 -a "$victim_files" = 0)"
  unplant
}

# 3. /dev/shm/kagi-<victim uid> is a symlink to a directory on persistent disk.
# a: the attacker's own directory (0777); b: a 0700 directory of the victim's
# own (~/.ssh), which passes an owner-and-mode check made through the link.
attack_symlink() {
  local kind=$1 label tried target d n
  case $kind in
    attacker) n=03 label="3a symlinked cache dir → attacker's dir"
      tried="$ATTACKER links /dev/shm/kagi-<victim uid> → its own 0777 dir on disk" ;;
    victim) n=13 label="3b symlinked cache dir → victim's ~/.ssh"
      tried="$ATTACKER links /dev/shm/kagi-<victim uid> → the victim's own 0700 ~/.ssh on disk" ;;
  esac
  need_root "$label" "$tried" users || return
  d=$(attack_dir "$n" "$VICTIM")
  config "$d" "$n"
  if [ "$kind" = attacker ]; then
    target=$(mktemp -d /var/tmp/kagi-redteam-XXXXXX)
    cleanup_paths+=("$target")
    chown "$ATTACKER:" "$target"; chmod 0777 "$target"
  else
    target=$d/home/.ssh
    mkdir -m 0700 "$target"; chown "$VICTIM:" "$target"
  fi
  plant link "$target" || { row "$label" "-" "not run: $victim_shm stayed in use by another run (make test?) for 60 s" "not run"; return; }
  victim_runs "$d" "$n"
  plant_intact || { unplant; row "$label" "-" "not run: another run (make test?) replaced $victim_shm meanwhile" "not run"; return; }
  local rc1 rc2 written secrets fstype runs warn
  rc1=$(cat "$d/rc1"); rc2=$(cat "$d/rc2"); runs=$(wc -l <"$d/mfa.count")
  warn="$(lines '^kagi: warning' "$d/err1"), $(lines '^kagi: warning' "$d/err2")"
  fstype=$(stat -f -c %T "$target")
  written=$(find "$target" -mindepth 1 | wc -l)
  # What a session on disk gives away: temporary key ids, secrets, tokens.
  secrets=$(grep -rlE 'ASIA[A-Z0-9]{16}|SecretAccessKey|SessionToken|secret_access_key' "$target" 2>/dev/null | wc -l)
  row "$label" "$tried; victim runs \`kagi export prod\` twice" \
    "target fs: $fstype; exit codes: $rc1, $rc2; MFA prompts: $runs; files written there: $written; files holding key ids/secrets/tokens: $secrets; warning lines: $warn \`$(first 'kagi: \(warning\|error\)' "$d/err1")\`" \
    "$(verdict test "$written" = 0 -a "$secrets" = 0 -a "$rc1" = 0 -a "$rc2" = 0 -a "$runs" -le 1)"
  unplant
}

# 4. What a child of exec sees: kagi's passphrase and MFA code, and through
# them the user's long-term keys (`kagi export jump --no-session` inside).
attack_child_env() {
  local d CACHE KT=30
  local -a EXTRA=()
  d=$(attack_dir 4); CACHE=$(new_cache); cleanup_paths+=("$CACHE")
  config "$d" 04
  cat >>"$d/home/.aws/config" <<EOF

[profile plain]
region = us-east-1
EOF
  add_jump "$d" 04
  add_keys "$d" plain AKIAREDTEAMPLAIN0004 rt-plain-secret-not-real
  local code; code=$(fresh_code 04)
  EXTRA=(KAGI_MFA_TOKEN="$code")
  # The child prints its environment, then tries to read the long-term keys.
  local -a child=(sh -c 'env; "$1" export jump --no-session 2>/dev/null; true' child "$KAGI")
  k "$d" exec prod -- "${child[@]}" >"$d/plain.out" 2>"$d/plain.err"; echo $? >"$d/plain.rc"
  k "$d" exec --server prod -- "${child[@]}" >"$d/server.out" 2>"$d/server.err"; echo $? >"$d/server.rc"
  k "$d" exec --profiles prod -- "${child[@]}" >"$d/profiles.out" 2>"$d/profiles.err"; echo $? >"$d/profiles.rc"
  EXTRA=()
  k "$d" exec plain -- env >"$d/keys.out" 2>"$d/keys.err"; echo $? >"$d/keys.rc"
  local m mode found summary="" leaks=0 ran=0
  for mode in plain server profiles; do
    found=""
    grep -q 'KAGI_FILE_PASSPHRASE=' "$d/$mode.out" && found="$found passphrase"
    grep -q 'KAGI_MFA_TOKEN=' "$d/$mode.out" && found="$found mfa-code"
    grep -q 'rt-secret-04-not-a-real-key' "$d/$mode.out" && found="$found jump's-secret-key"
    grep -q 'AWS_\|KAGI_PROFILE' "$d/$mode.out" && ran=$((ran + 1))
    [ -n "$found" ] && leaks=$((leaks + 1))
    summary="$summary $mode (exit $(cat "$d/$mode.rc")):${found:- none};"
  done
  local keyid lt=no
  keyid=$(sed -n 's/^AWS_ACCESS_KEY_ID=//p' "$d/keys.out" | head -n1)
  case $keyid in AKIA*) lt=yes ;; esac
  m="found in child:$summary profile with stored keys, no role: child's AWS_ACCESS_KEY_ID ${keyid:0:4}… (long-term: $lt, exit $(cat "$d/keys.rc"))"
  row "4 child's environment" "KAGI_FILE_PASSPHRASE and KAGI_MFA_TOKEN set; \`kagi exec prod -- env; kagi export jump --no-session\` plain, --server, --profiles; \`kagi exec plain -- env\`" \
    "$m" "$(verdict test "$leaks" = 0 -a "$ran" = 3 -a "$lt" = no -a -n "$keyid")"
}

# 5. ~/.aws/credentials is a symlink to a device node (as /dev/null is a
# common way to switch the file off); root runs write-credentials.
attack_device() {
  need_root "5 credentials file → device node" "~/.aws/credentials → a char device 1,3 made with mknod; root runs write-credentials" || return
  local d CACHE KT=30
  local -a EXTRA=()
  d=$(attack_dir 5); CACHE=$(new_cache); cleanup_paths+=("$CACHE")
  config "$d" 05
  add_jump "$d" 05
  mknod "$d/null" c 1 3 && chmod 666 "$d/null"
  ln -s "$d/null" "$d/home/.aws/credentials"
  k "$d" write-credentials prod --as prod-tf >"$d/out" 2>"$d/err"; local rc=$?
  local still=no; [ -c "$d/null" ] && still=yes
  local what; what=$(stat -c %F "$d/null" 2>/dev/null || echo gone)
  [ -f "$d/null" ] && what="$what holding $(lines aws_secret_access_key "$d/null") secret key(s)"
  # Control: the same command writes a regular file (so a refusal above is
  # about the device, not a broken set-up).
  local -a EXTRA=(AWS_SHARED_CREDENTIALS_FILE="$d/regular")
  k "$d" write-credentials prod --as prod-tf >/dev/null 2>&1; local ctl=$?
  row "5 credentials file → device node" "~/.aws/credentials → a char device 1,3 made with mknod; root runs \`kagi write-credentials prod --as prod-tf\`" \
    "exit $rc; node afterwards: $what; \`$(first 'kagi:' "$d/err")\`; control (a regular file): exit $ctl" \
    "$(verdict test "$still" = yes -a "$ctl" = 0)"
}

# 6. New keys under a cached session: whose keys make the next session?
attack_key_swap() {
  local d CACHE KT=30
  local -a EXTRA=()
  d=$(attack_dir 6); CACHE=$(new_cache); cleanup_paths+=("$CACHE")
  config "$d" 06
  add_jump "$d" 06
  local key_old=AKIAREDTEAMUSER00006 key_new=AKIAREDTEAMROTATED06
  k "$d" exec prod -- env >"$d/out1" 2>"$d/err1"; local rc1=$?
  add_keys "$d" jump "$key_new" rt-rotated-secret-06
  k "$d" exec prod -- env >"$d/out2" 2>"$d/err2"; local rc2=$?
  local a1 a2 by_old by_new
  a1=$(sed -n 's/^AWS_ACCESS_KEY_ID=//p' "$d/out1")
  a2=$(sed -n 's/^AWS_ACCESS_KEY_ID=//p' "$d/out2")
  by_old=$(requests_by GetSessionToken "$key_old")
  by_new=$(requests_by GetSessionToken "$key_new")
  local same=no; [ -n "$a1" ] && [ "$a1" = "$a2" ] && same=yes
  row "6 keys replaced under a cached session" "\`kagi add jump --env\` (key 1), \`exec prod\`; \`kagi add jump --env\` (key 2), \`exec prod\` again" \
    "exit codes: $rc1, $rc2; 2nd child got the 1st child's session: $same; GetSessionToken by key 1: $by_old, by key 2: $by_new" \
    "$(verdict test "$rc1" = 0 -a "$rc2" = 0 -a "$same" = no -a "$by_new" -ge 1)"
}

# 7. An STS whose clock is two hours behind: a one-hour role session arrives
# already expired.
attack_clock() {
  local d CACHE KT=30
  local -a EXTRA=()
  d=$(attack_dir 7); CACHE=$(new_cache); cleanup_paths+=("$CACHE")
  config "$d" 07
  add_jump "$d" 07
  faults '{"clock_offset_seconds": -7200}'
  local -a child=(sh -c 'echo CHILD-RAN; echo "$AWS_CREDENTIAL_EXPIRATION"')
  k "$d" exec prod -- "${child[@]}" >"$d/out1" 2>"$d/err1"; local rc1=$?
  k "$d" exec prod -- "${child[@]}" >"$d/out2" 2>"$d/err2"; local rc2=$?
  faults '{}'
  local ran runs exp
  ran=$(cat "$d/out1" "$d/out2" | lines -x CHILD-RAN)
  runs=$(wc -l <"$d/mfa.count")
  exp=$(sed -n 2p "$d/out1")
  row "7 expired credentials (STS clock −2 h)" "clock_offset_seconds = −7200; \`kagi exec prod -- sh -c 'echo CHILD-RAN'\` twice" \
    "exit codes: $rc1, $rc2; child ran: $ran/2${exp:+ (AWS_CREDENTIAL_EXPIRATION $exp, now $(date -u +%H:%M:%SZ))}; MFA prompts: $runs; \`$(first 'kagi: error' "$d/err1" 400)\`" \
    "$(verdict sh -c '[ "$1" = 0 ] && [ "$2" != 0 ] && [ "$3" != 0 ] && [ "$4" -le 1 ] && grep -qi "expire\|clock" "$5"' - "$ran" "$rc1" "$rc2" "$runs" "$d/err1")"
}

# 8. credential_process leaves a grandchild holding its stdout.
attack_grandchild() {
  local d CACHE KT=60
  local -a EXTRA=()
  d=$(attack_dir 8); CACHE=$(new_cache); cleanup_paths+=("$CACHE")
  local exp; exp=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
  cat >"$d/helper" <<EOF
#!/bin/sh
sleep 1000 &
echo \$! >$d/grandchild.pid
echo '{"Version": 1, "AccessKeyId": "ASIAREDTEAMHELPER008", "SecretAccessKey": "rt-helper-secret", "SessionToken": "rt-helper-token", "Expiration": "$exp"}'
EOF
  chmod 755 "$d/helper"
  cat >"$d/home/.aws/config" <<EOF
[profile helper]
credential_process = $d/helper
EOF
  chmod 600 "$d/home/.aws/config"
  local t0 t1 rc
  t0=$(now)
  k "$d" exec helper -- true >"$d/out" 2>"$d/err"; rc=$?
  t1=$(now)
  local wall; wall=$(secs "$t0" "$t1")
  [ "$rc" = 124 ] && wall="> $KT"
  [ -f "$d/grandchild.pid" ] && kill "$(cat "$d/grandchild.pid")" 2>/dev/null
  row "8 hanging credential_process grandchild" "credential_process = a script that runs \`sleep 1000 &\` and prints valid JSON; \`kagi exec helper -- true\`" \
    "wall: $wall s$([ "$rc" = 124 ] && echo ' (killed at the cap)'); exit $rc" \
    "$(verdict awk -v w="$wall" -v r="$rc" 'BEGIN { exit !(r == 0 && w + 0 < 10) }')"
}

# 9. /dev/zero as the config file (KIND zero), or a 1 GiB sparse regular
# file of zeros (KIND big: the size bound, not the file-type check).
attack_big_config() {
  local kind=$1 d CACHE KT=20 file label
  d=$(attack_dir "9$kind"); CACHE=$(new_cache); cleanup_paths+=("$CACHE")
  case $kind in
    zero) file=/dev/zero label="9a /dev/zero as the config" ;;
    big) file=$d/big.config label="9b 1 GiB config file"
      truncate -s 1G "$file" ;; # sparse: costs no disk
  esac
  local -a EXTRA=(AWS_CONFIG_FILE="$file")
  local t0 t1 rc rss="" lim=4194304 # KiB of address space: 4 GiB
  local -a WRAP=()
  [ -x /usr/bin/time ] && WRAP=(/usr/bin/time -v -o "$d/time")
  t0=$(now)
  (ulimit -v $lim; k "$d" list >"$d/out" 2>"$d/err")
  rc=$?
  t1=$(now)
  [ -f "$d/time" ] && rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$d/time")
  local wall; wall=$(secs "$t0" "$t1")
  [ "$rc" = 124 ] && wall="> $KT"
  local mem=""
  [ -n "$rss" ] && mem="; peak RSS: $((rss / 1024)) MiB (address space capped at $((lim / 1024 / 1024)) GiB)"
  row "$label" "AWS_CONFIG_FILE=${file/#$d/.} \`kagi list\` (timeout $KT s, ulimit -v)" \
    "wall: $wall s; exit $rc$mem; \`$(first 'kagi:\|fatal\|out of memory' "$d/err")\`" \
    "$(verdict awk -v w="$wall" -v r="$rc" -v m="${rss:-0}" 'BEGIN { exit !(r == 1 && w + 0 < 5 && m < 200 * 1024) }')"
}

# 10. The config is 0666 and another user appends a credential_process.
attack_writable_config() {
  local d CACHE KT=30
  local -a EXTRA=()
  d=$(attack_dir 10); CACHE=$(new_cache); cleanup_paths+=("$CACHE")
  cat >"$d/home/.aws/config" <<EOF
[profile tool]
region = us-east-1
EOF
  chmod 666 "$d/home/.aws/config"
  local line
  line=$(cat <<EOF
credential_process = sh -c 'touch $d/PWNED; echo "{\"Version\": 1, \"AccessKeyId\": \"AKIAREDTEAMPWNED0010\", \"SecretAccessKey\": \"x\"}"'
EOF
)
  local who="this user"
  if $is_root && id "$ATTACKER" >/dev/null 2>&1; then
    who=$ATTACKER
    setpriv --reuid="$ATTACKER" --regid="$ATTACKER" --clear-groups sh -c 'printf "%s\n" "$1" >>"$2"' sh "$line" "$d/home/.aws/config"
  else
    printf '%s\n' "$line" >>"$d/home/.aws/config"
  fi
  k "$d" exec tool -- true >"$d/out" 2>"$d/err"; local rc=$?
  local ran=no; [ -e "$d/PWNED" ] && ran=yes
  # Control: the same file at mode 0600 runs the command (so "did not run"
  # above is about the mode).
  rm -f "$d/PWNED"; chmod 600 "$d/home/.aws/config"
  k "$d" exec tool -- true >/dev/null 2>&1
  local ctl=no; [ -e "$d/PWNED" ] && ctl=yes
  row "10 0666 config + appended credential_process" "~/.aws/config mode 0666; $who appends \`credential_process = sh -c 'touch PWNED; ...'\` to [profile tool]; \`kagi exec tool -- true\`" \
    "appended command ran: $ran; exit $rc; \`$(first 'kagi:' "$d/err")\`; control (same file, 0600): ran: $ctl" \
    "$(verdict test "$ran" = no -a "$ctl" = yes)"
}

# 11. mfa_process = oathtool --totp -b SEED, and oathtool fails.
attack_seed() {
  local d CACHE KT=30
  local -a EXTRA=()
  d=$(attack_dir 11); CACHE=$(new_cache); cleanup_paths+=("$CACHE")
  config "$d" 11
  sed -i "s|mfa_process = .*|mfa_process = fake-oathtool --totp -b $SEED|" "$d/home/.aws/config"
  add_jump "$d" 11
  k "$d" --debug exec prod -- true >"$d/out" 2>"$d/err"; local rc=$?
  local hits; hits=$(cat "$d/out" "$d/err" | lines -F "$SEED")
  # What kagi said, the seed masked so this table does not carry it either.
  local said; said=$(first 'kagi: error' "$d/err" | sed "s/$SEED/<SEED>/g")
  row "11 TOTP seed in mfa_process" "\`mfa_process = fake-oathtool --totp -b SEED\` fails (says nothing of its arguments); \`kagi --debug exec prod -- true\`" \
    "exit $rc; lines of kagi's output holding SEED: $hits; \`$said\`" \
    "$(verdict sh -c '[ "$1" = 0 ] && [ "$2" != 0 ] && grep -q mfa_process "$3"' - "$hits" "$rc" "$d/err")"
}

# 12. Another HOME with the same profile names and no stored keys shares the
# cache directory (as two users of one account share /dev/shm/kagi-UID).
attack_second_home() {
  local d e CACHE KT=30
  local -a EXTRA=()
  d=$(attack_dir 12); CACHE=$(new_cache); cleanup_paths+=("$CACHE")
  e=$(attack_dir 12b)
  config "$d" 12
  config "$e" 12
  add_jump "$d" 12
  k "$d" exec prod -- true >/dev/null 2>"$d/err"; local rc1=$?
  k "$e" exec prod -- sh -c 'echo CHILD-RAN' >"$e/out" 2>"$e/err"; local rc2=$?
  local ran=no; grep -qx CHILD-RAN "$e/out" && ran=yes
  row "12 second HOME, same profile names" "HOME A stores keys and runs \`exec prod\`; HOME B (no keys, same cache dir) runs \`kagi exec prod -- sh -c 'echo CHILD-RAN'\`" \
    "A exit $rc1; B exit $rc2, B's child ran with A's session: $ran; \`$(first 'kagi: error' "$e/err")\`" \
    "$(verdict test "$rc1" = 0 -a "$ran" = no)"
}

# ------------------------------------------- attacks on issues 12, 13, 14 --

# need_cmd ATTACK TRIED COMMAND...: does this build have the command? (An
# older build, from before issues 12 to 14, has no login, sso, use, prompt.)
need_cmd() {
  local a=$1 t=$2; shift 2
  if ! env -i HOME=/nonexistent "$KAGI" "$@" --help >/dev/null 2>&1; then
    row "$a" "$t" "not run: this build has no \`kagi $*\`" "not run"; return 1
  fi
}

# as_attacker CMD...: run a command as the other local user.
as_attacker() { timeout -k 2 20 setpriv --reuid="$ATTACKER" --regid="$ATTACKER" --clear-groups env -i PATH=/usr/local/bin:/usr/bin:/bin "$@"; }

# find_argv PATTERN: as the attacker, the first argument of any process on
# the machine that matches PATTERN (read from /proc/PID/cmdline, as ps does),
# polled for up to 10 s.
find_argv() {
  as_attacker sh -c '
    i=0
    while [ $i -lt 200 ]; do
      for f in /proc/[0-9]*/cmdline; do
        u=$(tr "\0" "\n" <"$f" 2>/dev/null | grep -m1 -E "$1") && { echo "$u"; exit 0; }
      done
      sleep 0.05; i=$((i + 1))
    done
    exit 1' - "$1"
}

# sso_config DIR: profile prod-admin of [sso-session corp] (alice's account).
sso_config() {
  cat >>"$1/home/.aws/config" <<EOF
[profile prod-admin]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = AdministratorAccess
region = eu-west-1

[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access
EOF
  chmod 600 "$1/home/.aws/config"
}

# 13. kagi login: another local user reads the one-time loopback link from
# the browser's argv (/proc/PID/cmdline) and fetches it before the browser.
attack_login_race() {
  need_root "13 console link fetched first by another user" "-" users || return
  need_cmd "13 console link fetched first by another user" "-" login || return
  local d CACHE KT=30 AS_USER=$VICTIM
  d=$(attack_dir 13)
  CACHE=$(new_cache); cleanup_paths+=("$CACHE"); chown "$VICTIM:" "$CACHE"
  mkdir -m 0777 "$d/x"
  cat >"$d/home/.aws/config" <<EOF
[profile plain]
region = us-east-1
EOF
  chmod 600 "$d/home/.aws/config"
  # The browser: waits until the attacker has tried (at most 10 s), then
  # fetches the link it was given, without following the redirect.
  cat >"$d/x/browser" <<EOF
#!/bin/sh
i=0
while [ ! -e $d/x/attacked ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done
curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "\$1" >$d/x/browser.out
EOF
  chmod 755 "$d/x/browser"
  chown -R "$VICTIM:" "$d/home"
  add_keys "$d" plain AKIAREDTEAMPLAIN0004 rt-plain-secret-not-real
  local -a EXTRA=(BROWSER="$d/x/browser" KAGI_FEDERATION_ENDPOINT="$url/federation")
  k "$d" login plain >"$d/out" 2>"$d/err" &
  local kp=$! u att
  u=$(find_argv '^http://127\.0\.0\.1:[0-9]+/[A-Za-z0-9_-]{40,}$')
  if [ -n "$u" ]; then
    att=$(as_attacker curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$u")
  else
    att="no link found in any argv"
  fi
  touch "$d/x/attacked"
  wait "$kp"; local rc=$?
  local got_link=no browser_link=no
  case $att in *SigninToken=*) got_link=yes ;; esac
  grep -q 'SigninToken=' "$d/x/browser.out" 2>/dev/null && browser_link=yes
  row "13 console link fetched first by another user" "victim (kagi-victim) runs \`kagi login plain\`; kagi-attacker finds the loopback link in the browser's argv (/proc/PID/cmdline) and fetches it first" \
    "attacker's fetch: $(echo "$att" | cut -c1-3), got the sign-in link: $got_link; browser's fetch after it: $(cut -c1-3 "$d/x/browser.out" 2>/dev/null), got the link: $browser_link; kagi exit $rc; \`$(first 'kagi: warning' "$d/err" 160)\`" \
    "$(verdict test "$got_link" = no -a "$browser_link" = yes -a "$rc" = 0)"
}

# 14. kagi sso login (authorization code with PKCE): another local user
# reads the authorize URL (state, loopback port) from the browser's argv,
# signs in there as themselves, and delivers their own authorization code
# to the victim's listener first (a login CSRF: the victim would work, and
# write profiles, as the attacker).
attack_sso_csrf() {
  need_root "14 sign-in callback answered first by another user" "-" users || return
  need_cmd "14 sign-in callback answered first by another user" "-" sso login || return
  local d CACHE KT=30 AS_USER=$VICTIM
  d=$(attack_dir 14)
  CACHE=$(new_cache); cleanup_paths+=("$CACHE"); chown "$VICTIM:" "$CACHE"
  mkdir -m 0777 "$d/x"
  sso_config "$d"
  # The browser: waits for the attacker's try, follows a loopback link to
  # the authorize URL (a build that gives it one), signs in as alice.
  cat >"$d/x/browser" <<EOF
#!/bin/sh
i=0
while [ ! -e $d/x/attacked ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done
u=\$1
case \$u in *authorize*) ;; *) u=\$(curl -s -o /dev/null -w '%{redirect_url}' "\$u") ;; esac
loc=\$(curl -s -o /dev/null -w '%{redirect_url}' --data "\${u#*\?}&user=alice%40example.com" "\${u%%\?*}")
curl -s -o /dev/null -w '%{http_code}' "\$loc" >$d/x/browser.out
EOF
  chmod 755 "$d/x/browser"
  chown -R "$VICTIM:" "$d/home"
  local -a EXTRA=(BROWSER="$d/x/browser")
  k "$d" sso login --sso-session corp >"$d/out" 2>"$d/err" &
  local kp=$! u att=
  # The attacker takes what the browser's argv holds: the authorize URL, or
  # a loopback link that redirects to it (which it then fetches first).
  u=$(find_argv '/authorize\?.*redirect_uri=|^http://127\.0\.0\.1:[0-9]+/[A-Za-z0-9_-]{40,}$')
  case $u in
    "") att="nothing in any argv" ;;
    *authorize*) ;;
    *) local via
       via=$(as_attacker curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$u")
       att="loopback link in argv, fetched: ${via%% *}"
       u=${via#* }; case $u in *authorize*) ;; *) u= ;; esac ;;
  esac
  if [ -n "$u" ]; then
    att="$att; mallory's code to the listener: $(as_attacker sh -c 'loc=$(curl -s -o /dev/null -w "%{redirect_url}" --data "${1#*\?}&user=mallory%40example.com" "${1%%\?*}"); curl -s -o /dev/null -w "%{http_code}" "$loc"' - "$u")"
  fi
  touch "$d/x/attacked"
  wait "$kp"; local rc=$?
  k "$d" sso profiles --sso-session corp >"$d/profiles" 2>"$d/perr"; local prc=$?
  local as_mallory=no as_alice=no
  grep -q 666666666666 "$d/profiles" && as_mallory=yes
  grep -q 222222222222 "$d/profiles" && as_alice=yes
  row "14 sign-in callback answered first by another user" "victim runs \`kagi sso login\` (PKCE); kagi-attacker reads the authorize URL from the browser's argv (or the loopback link there, and fetches it first), signs in there as mallory and sends mallory's code to the victim's listener first" \
    "attacker: ${att#; }; victim's browser after it: $(cat "$d/x/browser.out" 2>/dev/null); sso login exit $rc; then \`kagi sso profiles\` (exit $prc) lists mallory's account: $as_mallory, alice's: $as_alice; \`$(first 'kagi: \(warning\|error\)' "$d/err" 160)\`" \
    "$(verdict test "$as_mallory" = no -a "$as_alice" = yes -a "$rc" = 0)"
}

# 14b. The same with the device code flow: the verification URL the browser
# is opened on carries the user code; another user approves it as mallory.
attack_sso_device_csrf() {
  need_root "14b device code approved first by another user" "-" users || return
  need_cmd "14b device code approved first by another user" "-" sso login || return
  local d CACHE KT=30 AS_USER=$VICTIM
  d=$(attack_dir 14b)
  CACHE=$(new_cache); cleanup_paths+=("$CACHE"); chown "$VICTIM:" "$CACHE"
  mkdir -m 0777 "$d/x"
  sso_config "$d"
  cat >"$d/x/browser" <<EOF
#!/bin/sh
i=0
while [ ! -e $d/x/attacked ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i + 1)); done
u=\$1
case \$u in *user_code=*) ;; *) u=\$(curl -s -o /dev/null -w '%{redirect_url}' "\$u") ;; esac
curl -s -o /dev/null -w '%{http_code}' --data "user=alice%40example.com" "\$u" >$d/x/browser.out
EOF
  chmod 755 "$d/x/browser"
  chown -R "$VICTIM:" "$d/home"
  local -a EXTRA=(BROWSER="$d/x/browser")
  k "$d" sso login --sso-session corp --use-device-code >"$d/out" 2>"$d/err" &
  local kp=$! u att=
  u=$(find_argv '/device\?user_code=|^http://127\.0\.0\.1:[0-9]+/[A-Za-z0-9_-]{40,}$')
  case $u in
    "") att="nothing in any argv" ;;
    *user_code=*) ;;
    *) local via
       via=$(as_attacker curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$u")
       att="loopback link in argv, fetched: ${via%% *}"
       u=${via#* }; case $u in *user_code=*) ;; *) u= ;; esac ;;
  esac
  if [ -n "$u" ]; then
    att="$att; approved as mallory: $(as_attacker curl -s -o /dev/null -w '%{http_code}' --data 'user=mallory%40example.com' "$u")"
  fi
  touch "$d/x/attacked"
  wait "$kp"; local rc=$?
  k "$d" sso profiles --sso-session corp >"$d/profiles" 2>"$d/perr"; local prc=$?
  local as_mallory=no as_alice=no
  grep -q 666666666666 "$d/profiles" && as_mallory=yes
  grep -q 222222222222 "$d/profiles" && as_alice=yes
  row "14b device code approved first by another user" "victim runs \`kagi sso login --use-device-code\`; kagi-attacker reads the verification URL with the user code from the browser's argv (or the loopback link there, and fetches it first) and approves the code as mallory" \
    "attacker: ${att#; }; victim's browser after it: $(cat "$d/x/browser.out" 2>/dev/null); sso login exit $rc; then \`kagi sso profiles\` (exit $prc) lists mallory's account: $as_mallory, alice's: $as_alice; \`$(first 'kagi: \(warning\|error\)' "$d/err" 160)\`" \
    "$(verdict test "$as_mallory" = no -a "$as_alice" = yes -a "$rc" = 0)"
}

# 15. kagi use through the shell function: hostile values in the config and
# from a credential_process (quotes, $(...), backquotes, newlines) must reach
# the shell as values, never as code, in bash, zsh and fish.
attack_use_injection() {
  need_cmd "15 shell code in profile, region, credentials" "-" use || return
  local d CACHE KT=30 sh
  local -a EXTRA=()
  d=$(attack_dir 15); CACHE=$(new_cache); cleanup_paths+=("$CACHE")
  local region="x'; touch $d/PWNED-region; '"
  cat >"$d/cp" <<EOF
#!/bin/sh
cat <<'J'
{"Version": 1, "AccessKeyId": "ASIAREDTEAM\$(touch $d/PWNED-key)", "SecretAccessKey": "s'\"\`touch $d/PWNED-secret\`", "SessionToken": "t\\n\$(touch $d/PWNED-token)\\n';touch $d/PWNED-nl;'", "Expiration": "2099-01-01T00:00:00Z"}
J
EOF
  chmod 755 "$d/cp"
  cat >"$d/home/.aws/config" <<EOF
[profile p\$(touch $d/PWNED-name)\`touch $d/PWNED-bq\`;x]
credential_process = $d/cp
region = $region
EOF
  chmod 600 "$d/home/.aws/config"
  local name="p\$(touch $d/PWNED-name)\`touch $d/PWNED-bq\`;x" results="" ok=true
  for sh in bash zsh fish; do
    command -v "$sh" >/dev/null || { results="$results $sh: not installed;"; continue; }
    local prog
    case $sh in
      fish) prog="kagi shell-init fish | source; kagi use \$argv[1]; or exit 7; printf '%s' \"\$AWS_REGION\" >$d/$sh.region; printf '%s' \"\$AWS_SESSION_TOKEN\" >$d/$sh.token" ;;
      *) prog="eval \"\$(kagi shell-init $sh)\"; kagi use \"\$1\" || exit 7; printf '%s' \"\$AWS_REGION\" >$d/$sh.region; printf '%s' \"\$AWS_SESSION_TOKEN\" >$d/$sh.token" ;;
    esac
    local kdir; kdir=$(dirname "$KAGI")
    timeout -k 5 30 env -i PATH="$kdir:/usr/local/bin:/usr/bin:/bin" HOME="$d/home" LANG=C.UTF-8 KAGI_BACKEND=file \
      KAGI_FILE_PASSPHRASE="$PASS" KAGI_CACHE_DIR="$CACHE" XDG_CONFIG_HOME="$d/xdg" \
      "$sh" -c "$prog" $([ "$sh" = fish ] || echo "$sh") "$name" </dev/null >"$d/$sh.out" 2>"$d/$sh.err"
    local rc=$? reg_ok=no tok_ok=no
    [ "$(cat "$d/$sh.region" 2>/dev/null)" = "$region" ] && reg_ok=yes
    [ "$(cat "$d/$sh.token" 2>/dev/null)" = "$(printf 't\n$(touch %s/PWNED-token)\n'"'"';touch %s/PWNED-nl;'"'" "$d" "$d")" ] && tok_ok=yes
    results="$results $sh: exit $rc, region exact: $reg_ok, token exact: $tok_ok;"
    [ "$rc" = 0 ] && [ $reg_ok = yes ] && [ $tok_ok = yes ] || ok=false
  done
  local pwned; pwned=$(ls "$d" | grep -c '^PWNED' || true)
  [ "$pwned" = 0 ] || ok=false
  row "15 shell code in profile, region, credentials" "a profile named \`p\$(touch ..)\\\`touch ..\\\`;x\`, \`region = x'; touch ..; '\`, a credential_process whose key, secret and token hold quotes, \`\$(...)\`, backquotes and newlines; \`kagi use\` through the shell-init function" \
    "injected commands run: $pwned;$results" \
    "$(verdict $ok)"
}

# 16. kagi prompt: KAGI_PROFILE comes from the environment, the segment goes
# into PS1 and so to the terminal: no escape sequence may arrive raw.
attack_prompt_escapes() {
  need_cmd "16 escape sequences in the prompt" "-" prompt || return
  local d KT=10
  local -a EXTRA=()
  d=$(attack_dir 16)
  local hostile
  hostile=$(printf 'prod\033]0;PWNED-TITLE\007\033]52;c;cHduZWQ=\007\033[2J\302\2331A\r\342\200\256x')
  EXTRA=(KAGI_PROFILE="$hostile" AWS_CREDENTIAL_EXPIRATION=2099-01-01T00:00:00Z)
  k "$d" prompt >"$d/out" 2>"$d/err"; local rc=$?
  local bad
  bad=$(LC_ALL=C grep -c -P '[\x00-\x08\x0a-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]' <(head -c -1 "$d/out") || true)
  row "16 escape sequences in the prompt" "KAGI_PROFILE holds OSC 0 (window title), OSC 52 (clipboard), CSI 2J, a C1 CSI, CR and a bidi override; \`kagi prompt\`" \
    "exit $rc; output lines holding a control character: $bad; output: \`$(LC_ALL=C od -An -c "$d/out" | tr -s ' ' | head -c 150 | tr -d '\n' | sed 's/|/\\|/g')\`" \
    "$(verdict test "$rc" = 0 -a "$bad" = 0)"
}

# 17. .aws-profile: another user plants one above the victim's directory in
# a shared sticky directory (as /tmp is); \`kagi use\` with no profile must
# not pick the attacker's choice.
attack_planted_aws_profile() {
  need_root "17 .aws-profile planted by another user" "-" users || return
  need_cmd "17 .aws-profile planted by another user" "-" use || return
  local d CACHE KT=30
  d=$(attack_dir 17 "$VICTIM")
  CACHE=$(new_cache); cleanup_paths+=("$CACHE"); chown "$VICTIM:" "$CACHE"
  mkdir -m 1777 "$d/shared"
  setpriv --reuid="$VICTIM" --regid="$VICTIM" --clear-groups mkdir "$d/shared/victim-project"
  as_attacker sh -c "echo admin >'$d/shared/.aws-profile'"
  cat >"$d/cp" <<'EOF'
#!/bin/sh
echo '{"Version": 1, "AccessKeyId": "ASIAADMINPROFILE", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2099-01-01T00:00:00Z"}'
EOF
  chmod 755 "$d/cp"
  cat >"$d/home/.aws/config" <<EOF
[profile admin]
credential_process = $d/cp
EOF
  chown "$VICTIM:" "$d/home/.aws/config"; chmod 600 "$d/home/.aws/config"
  local kdir; kdir=$(dirname "$KAGI")
  (cd "$d/shared/victim-project" && timeout -k 5 30 setpriv --reuid="$VICTIM" --regid="$VICTIM" --clear-groups env -i \
    PATH="$kdir:/usr/local/bin:/usr/bin:/bin" HOME="$d/home" LANG=C.UTF-8 KAGI_BACKEND=file KAGI_FILE_PASSPHRASE="$PASS" KAGI_CACHE_DIR="$CACHE" \
    bash -c 'eval "$(kagi shell-init bash)"; kagi use; rc=$?; echo "rc=$rc key=${AWS_ACCESS_KEY_ID:-none}"' </dev/null >"$d/out" 2>"$d/err")
  local got; got=$(grep -o 'key=[A-Z]*' "$d/out" | cut -d= -f2)
  row "17 .aws-profile planted by another user" "kagi-attacker writes \`admin\` to .aws-profile in a shared sticky directory above the victim's project; victim runs \`kagi use\` (no profile) there" \
    "$(grep -o 'rc=[0-9]*' "$d/out"); credentials set: ${got:-none}; \`$(first 'kagi: error' "$d/err" 200)\`" \
    "$(verdict test "${got:-none}" = none)"
}

# 18. The IAM Identity Center token cache: a FIFO where the token file is
# (kagi must not hang), and, with a cache directory others can write, a
# token of the attacker's own sign-in planted there (the victim would work
# as the attacker).
attack_sso_cache() {
  need_root "18 SSO token cache: FIFO, planted token" "-" users || return
  need_cmd "18 SSO token cache: FIFO, planted token" "-" sso profiles || return
  local d CACHE KT=20 AS_USER=$VICTIM
  local -a EXTRA=()
  d=$(attack_dir 18)
  CACHE=$(new_cache); cleanup_paths+=("$CACHE"); chown "$VICTIM:" "$CACHE"
  sso_config "$d"
  local tokfile=$d/home/.aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json
  mkdir -p "$d/home/.aws/sso/cache"
  mkfifo "$tokfile"
  chown -R "$VICTIM:" "$d/home"
  local t0 t1
  t0=$(now); k "$d" export prod-admin >"$d/out1" 2>"$d/err1"; local rc1=$?; t1=$(now)
  rm -f "$tokfile"
  chmod 0777 "$d/home/.aws/sso/cache"
  local minted
  minted=$(emu -X POST -d '{"user": "mallory@example.com"}' "$url/_emu/sso/token" | jq -r .accessToken)
  as_attacker sh -c "printf '%s' '{\"startUrl\": \"https://example.awsapps.com/start\", \"region\": \"us-east-1\", \"accessToken\": \"$minted\", \"expiresAt\": \"2099-01-01T00:00:00Z\"}' >'$tokfile'"
  k "$d" sso profiles --sso-session corp >"$d/out2" 2>"$d/err2"; local rc2=$?
  local as_mallory=no; grep -q 666666666666 "$d/out2" && as_mallory=yes
  row "18 SSO token cache: FIFO, planted token" "victim's ~/.aws/sso/cache/<session>.json is a FIFO: \`kagi export prod-admin\`; then the cache dir is 0777 and kagi-attacker plants a token of mallory's sign-in: \`kagi sso profiles\`" \
    "FIFO: exit $rc1 in $(secs "$t0" "$t1") s \`$(first 'kagi: error' "$d/err1" 140)\`; planted token: exit $rc2, lists mallory's account: $as_mallory \`$(first 'kagi: error' "$d/err2" 140)\`" \
    "$(verdict test "$rc1" = 1 -a "$(secs "$t0" "$t1" | cut -d. -f1)" -lt 5 -a "$as_mallory" = no)"
}

# 19. kagi sso profiles --write edits ~/.aws/config: another user made the
# victim's config a symbolic link to a file of their own (or the victim
# linked it to a shared one): kagi must neither read the attacker's profiles
# nor write into their file.
attack_sso_write_link() {
  need_root "19 sso profiles --write, config linked to another user's file" "-" users || return
  need_cmd "19 sso profiles --write, config linked to another user's file" "-" sso profiles || return
  local d CACHE KT=20 AS_USER=$VICTIM
  local -a EXTRA=()
  d=$(attack_dir 19)
  CACHE=$(new_cache); cleanup_paths+=("$CACHE"); chown "$VICTIM:" "$CACHE"
  mkdir -m 0755 "$d/att"; chown "$ATTACKER:" "$d/att"
  sso_config "$d"
  as_attacker sh -c "cat >'$d/att/config'" <"$d/home/.aws/config"
  rm "$d/home/.aws/config"
  ln -s "$d/att/config" "$d/home/.aws/config"
  local minted tokfile=$d/home/.aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json
  minted=$(emu -X POST -d '{"user": "alice@example.com"}' "$url/_emu/sso/token" | jq -r .accessToken)
  mkdir -p "$d/home/.aws/sso/cache"
  printf '{"startUrl": "https://example.awsapps.com/start", "region": "us-east-1", "accessToken": "%s", "expiresAt": "2099-01-01T00:00:00Z"}' "$minted" >"$tokfile"
  chmod 600 "$tokfile"; chmod 700 "$d/home/.aws/sso/cache" "$d/home/.aws/sso"
  chown -R "$VICTIM:" "$d/home"; chown -h "$VICTIM:" "$d/home/.aws/config"
  local sum0 sum1
  sum0=$(sha256sum <"$d/att/config")
  k "$d" sso profiles --sso-session corp --write >"$d/out" 2>"$d/err"; local rc=$?
  sum1=$(sha256sum <"$d/att/config")
  local changed=no; [ "$sum0" = "$sum1" ] || changed=yes
  row "19 sso profiles --write, config linked to another user's file" "victim's ~/.aws/config is a symlink to a file kagi-attacker owns (holding the sso-session); victim runs \`kagi sso profiles --write\`" \
    "exit $rc; attacker's file changed: $changed; \`$(first 'kagi: error' "$d/err" 200)\`" \
    "$(verdict test "$rc" != 0 -a "$changed" = no)"
}

# 20. kagi rotate's lock in a state directory another user can write (a
# shared XDG_STATE_HOME): the attacker creates the lock file the victim's
# rotation will use and holds it.
attack_rotate_lock() {
  need_root "20 rotate lock held in a shared state directory" "-" users || return
  need_cmd "20 rotate lock held in a shared state directory" "-" rotate || return
  local d CACHE KT=20 AS_USER=$VICTIM
  local -a EXTRA=()
  d=$(attack_dir 20 "$VICTIM")
  CACHE=$(new_cache); cleanup_paths+=("$CACHE"); chown "$VICTIM:" "$CACHE"
  mkdir -m 1777 "$d/state"
  as_attacker sh -c "umask 0; mkdir -p '$d/state/kagi/key-ids'"
  printf '[profile plain]\n' >"$d/home/.aws/config"; chown "$VICTIM:" "$d/home/.aws/config"; chmod 600 "$d/home/.aws/config"
  EXTRA=(XDG_STATE_HOME="$d/state")
  add_keys "$d" plain AKIAREDTEAMPLAIN0004 rt-plain-secret-not-real
  # The lock's name is public: a hash of the keyring's identity and the
  # profile. The attacker makes every lock file kagi could use and holds it.
  local lockname
  lockname=$(printf 'file\0%s\0plain' "$d/home/.local/share/kagi/keyring" | sha256sum | cut -c1-32)
  as_attacker sh -c "umask 0; : >'$d/state/kagi/key-ids/rotate-$lockname.lock'; exec flock '$d/state/kagi/key-ids/rotate-$lockname.lock' sleep 30" &
  local holder=$!
  sleep 0.3
  local before after
  before=$(requests_by CreateAccessKey AKIAREDTEAMPLAIN0004)
  k "$d" rotate plain >"$d/out" 2>"$d/err"; local rc=$?
  after=$(requests_by CreateAccessKey AKIAREDTEAMPLAIN0004)
  kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
  local names_dir=no
  grep -q 'state directory' "$d/err" && names_dir=yes
  row "20 rotate lock held in a shared state directory" "XDG_STATE_HOME is a shared sticky directory; kagi-attacker makes kagi/key-ids 0777 there, creates the rotation's lock file (its name is a hash of public values) and holds a flock on it; victim runs \`kagi rotate plain\`" \
    "exit $rc; CreateAccessKey calls: $((after - before)); error names the unsafe directory: $names_dir; \`$(first 'kagi: error' "$d/err" 200)\`" \
    "$(verdict test "$rc" = 1 -a "$names_dir" = yes -a "$((after - before))" = 0)"
}

# ------------------------------------------------------------------- run --

# REDTEAM_ONLY="1 7" runs only those attacks; REDTEAM_KEEP=1 keeps the
# directory with every output for a look (its path is printed).
# 21. KAGI_USE_SAVED comes from the environment (anything that sets it:
# direnv, a sourced file) and kagi use --clear prints its values into the
# code the shell evaluates: quotes, newlines and a JSON \u0000 (no
# environment value holds a NUL) must neither run code nor keep --clear
# from removing the keys.
attack_use_saved() {
  need_cmd "21 hostile KAGI_USE_SAVED" "-" use || return
  local d sh results="" ok=true
  d=$(attack_dir 21)
  local saved
  saved=$(printf '{"AWS_PROFILE":"a\\u0000'"'"'; touch %s/PWNED-nul; echo \\u0000","AWS_REGION":"x\\n`touch %s/PWNED-bq`$(touch %s/PWNED-cs)\\\\'"'"'","EVIL;touch %s/PWNED-name":"1"}' "$d" "$d" "$d" "$d")
  local kdir; kdir=$(dirname "$KAGI")
  for sh in bash zsh fish; do
    command -v "$sh" >/dev/null || { results="$results $sh: not installed;"; continue; }
    local prog
    case $sh in
      fish) prog="kagi shell-init fish | source; kagi use --clear; or exit 7; set -q AWS_ACCESS_KEY_ID; and exit 8; exit 0" ;;
      *) prog="eval \"\$(kagi shell-init $sh)\"; kagi use --clear || exit 7; [ -z \"\${AWS_ACCESS_KEY_ID+x}\" ] || exit 8" ;;
    esac
    timeout -k 5 30 env -i PATH="$kdir:/usr/local/bin:/usr/bin:/bin" HOME="$d/home" LANG=C.UTF-8 \
      KAGI_PROFILE=p KAGI_USE=p KAGI_USE_SAVED="$saved" AWS_ACCESS_KEY_ID=AKIAREDTEAMUSESAVED1 \
      "$sh" -c "$prog" </dev/null >"$d/$sh.out" 2>"$d/$sh.err"
    local rc=$?
    results="$results $sh: exit $rc;"
    [ "$rc" = 0 ] || ok=false
  done
  local pwned; pwned=$(ls "$d" | grep -c '^PWNED' || true)
  [ "$pwned" = 0 ] || ok=false
  row "21 hostile KAGI_USE_SAVED" "KAGI_USE=KAGI_PROFILE=p and KAGI_USE_SAVED holding quotes, a newline, backquotes, \`\$(...)\`, a JSON \\u0000 and a name that is no variable; \`kagi use --clear\` through the shell-init function, the keys in the environment" \
    "injected commands run: $pwned; (exit 7: --clear failed, 8: the keys stayed)$results" \
    "$(verdict $ok)"
}

run() { # N FUNCTION [ARGS]
  local n=$1; shift
  case " ${REDTEAM_ONLY:-$n} " in *" $n "*) "$@" ;; esac
}
run 1 attack_dead_sts
run 2 attack_squat
run 3 attack_symlink attacker
run 3 attack_symlink victim
run 4 attack_child_env
run 5 attack_device
run 6 attack_key_swap
run 7 attack_clock
run 8 attack_grandchild
run 9 attack_big_config zero
run 9 attack_big_config big
run 10 attack_writable_config
run 11 attack_seed
run 12 attack_second_home
run 13 attack_login_race
run 14 attack_sso_csrf
run 14 attack_sso_device_csrf
run 15 attack_use_injection
run 16 attack_prompt_escapes
run 17 attack_planted_aws_profile
run 18 attack_sso_cache
run 19 attack_sso_write_link
run 20 attack_rotate_lock
run 21 attack_use_saved

held=0 lost=0
echo "kagi: $KAGI ($("$KAGI" version 2>/dev/null | head -n1 | cut -c1-100); sha256 $(sha256sum "$KAGI" | cut -c1-12))"
echo "emulator: $awsemu; started $started; $(nproc) cores; user $(id -un)"
echo
echo "| attack | what was tried | measured | held/lost |"
echo "|---|---|---|---|"
for r in "${ROWS[@]}"; do
  echo "$r"
  case $r in *"| held |") held=$((held + 1)) ;; *LOST*) lost=$((lost + 1)) ;; esac
done
echo
echo "held: $held, lost: $lost, not run: $((${#ROWS[@]} - held - lost))"
