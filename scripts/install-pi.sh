#!/usr/bin/env bash
# Install or upgrade pyde1 on Raspberry Pi OS / Debian bookworm, from this source tree.
#
# Every step prints one line: [done] it changed something, [ok] it was already so,
# [skip] it does not apply here, [would] (with --dry-run) it would change something.
# Running it twice changes nothing the second time. See docs/install.md.
set -Eeuo pipefail
umask 022

usage() {
    cat <<'EOF'
Usage: install-pi.sh [--prefix DIR] [--dry-run] [--with-mosquitto] [--python PY] [--create-user]

Installs or upgrades pyde1 from the source tree this script is in:
  - system user and group pyde1 (member of bluetooth when that group exists)
  - /usr/local/etc/pyde1/: pyde1.conf, pyde1-visualizer.conf, pyde1-replay.conf (0640 root:pyde1)
    and the systemd units; an edited file is never overwritten: the new example is written
    beside it as <name>.new
  - /etc/logrotate.d/pyde1
  - /var/lib/pyde1/ and /var/log/pyde1/, owned by pyde1
  - the virtualenv /home/pyde1/venv/pyde1 with pyde1 installed. An upgrade builds
    pyde1.new beside it, checks the config (and migrates the database) with it, then swaps
    it in; the old one is kept as pyde1.previous until the next successful upgrade
  - links and enables pyde1.service (and pyde1-visualizer.service when that program is built)

Options:
  --prefix DIR      install everything under DIR (tests, staging). No systemctl, no apt, no
                    user creation (unless --create-user); files are given to pyde1 only if
                    that user exists
  --dry-run         print every step, change nothing
  --with-mosquitto  install the mosquitto broker (and its clients) with apt
  --python PY       Python 3.11 or newer for the virtualenv (default python3)
  --create-user     with --prefix: create the pyde1 user on this machine all the same
  -h, --help        this help
EOF
}

PREFIX=""
DRY_RUN=0
WITH_MOSQUITTO=0
CREATE_USER=0
PY=python3

die() { printf 'install-pi.sh: %s\n' "$*" >&2; exit 2; }

parse_args() {
    while (($#)); do
        case $1 in
            --prefix) (($# >= 2)) || die "--prefix needs a directory"; PREFIX=$2; shift ;;
            --prefix=*) PREFIX=${1#--prefix=} ;;
            --dry-run) DRY_RUN=1 ;;
            --with-mosquitto) WITH_MOSQUITTO=1 ;;
            --python) (($# >= 2)) || die "--python needs an interpreter"; PY=$2; shift ;;
            --python=*) PY=${1#--python=} ;;
            --create-user) CREATE_USER=1 ;;
            -h|--help) usage; exit 0 ;;
            *) die "unknown option '$1' (see --help)" ;;
        esac
        shift
    done
    if [[ -n $PREFIX ]]; then
        [[ $PREFIX == /* ]] || PREFIX=$(pwd)/$PREFIX
        PREFIX=$(realpath -m -- "$PREFIX")
        [[ $PREFIX != / ]] || PREFIX=""
    fi
}

# -- reporting -----------------------------------------------------------------------------

CHANGES=0
ok()   { printf '[ok]    %s\n' "$*"; }
skip() { printf '[skip]  %s\n' "$*"; }
did()  { CHANGES=$((CHANGES + 1)); if ((DRY_RUN)); then printf '[would] %s\n' "$*"; else printf '[done]  %s\n' "$*"; fi; }
fail() { printf '[fail]  %s\n' "$*" >&2; exit 1; }
# Run a command unless this is a dry run.
run()  { ((DRY_RUN)) || "$@"; }
trap 'printf "[fail]  install-pi.sh line %s: %s (exit status %s)\n" "$LINENO" "$BASH_COMMAND" "$?" >&2' ERR

# -- paths ---------------------------------------------------------------------------------

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONFIG_FILES=(pyde1.conf pyde1-visualizer.conf pyde1-replay.conf)
UNIT_FILES=(pyde1.service pyde1-visualizer.service)
SYSTEMD_DIR=/etc/systemd/system
SERVICE_USER=pyde1

set_paths() {
    ETC=$PREFIX/usr/local/etc/pyde1
    LIB=$PREFIX/var/lib/pyde1
    LOG=$PREFIX/var/log/pyde1
    HOME_DIR=$PREFIX/home/pyde1
    VENV_DIR=$HOME_DIR/venv
    VENV=$VENV_DIR/pyde1
    NEW_VENV=$VENV_DIR/pyde1.new
    OLD_VENV=$VENV_DIR/pyde1.previous
    LOGROTATE=$PREFIX/etc/logrotate.d/pyde1
    MANIFEST=$ETC/.pyde1-installed.sha256
    STAMP_NAME=.pyde1-source.sha256
}

user_exists() { getent passwd "$SERVICE_USER" >/dev/null 2>&1; }
group_exists() { getent group "$1" >/dev/null 2>&1; }
systemd_running() { [[ -d /run/systemd/system ]]; }

# -- preflight -----------------------------------------------------------------------------

step_preflight() {
    [[ -f $SRC/setup.cfg && -f $SRC/conf/pyde1.conf ]] \
        || fail "no pyde1 source tree at $SRC (setup.cfg or conf/pyde1.conf missing)"
    if ((EUID != 0)) && ((!DRY_RUN)); then
        [[ -n $PREFIX ]] || fail "run as root (sudo $0 ...), or give --prefix DIR"
        ((!CREATE_USER)) || fail "--create-user needs root"
    fi
    command -v "$PY" >/dev/null 2>&1 || fail "python '$PY' not found (give --python PY)"
    local found
    found=$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3], sys.executable); sys.exit(0 if sys.version_info >= (3, 11) else 3)') \
        || fail "pyde1 needs Python 3.11 or newer; $PY is $("$PY" --version 2>&1)"
    PY_VERSION=${found%% *}
    ok "python: ${found#* } ($PY_VERSION); source $SRC; target ${PREFIX:-/}"
}

# -- Debian packages -----------------------------------------------------------------------

apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
}

# Set in a dry run that would install bluez (which brings the bluetooth group).
BLUEZ_PENDING=0
have() { command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 ]]; }
venv_usable() { "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; }

step_packages() {
    local wanted=() present=()
    if venv_usable; then present+=(python3-venv); else wanted+=(python3-venv); fi
    if have bluetoothctl; then present+=(bluez); else wanted+=(bluez); fi
    if ((WITH_MOSQUITTO)); then
        if have mosquitto; then present+=(mosquitto); else wanted+=(mosquitto mosquitto-clients); fi
    fi
    if ((${#wanted[@]} == 0)); then
        ok "packages: ${present[*]} present"
        return
    fi
    if [[ -n $PREFIX ]]; then
        skip "packages: not installed under --prefix (missing on this machine: ${wanted[*]})"
        [[ " ${wanted[*]} " != *" python3-venv "* ]] || fail "$PY cannot make a virtualenv here (install python3-venv)"
        return
    fi
    command -v apt-get >/dev/null 2>&1 || fail "packages: apt-get not found; install ${wanted[*]} by hand"
    run apt_install "${wanted[@]}"
    [[ " ${wanted[*]} " != *" bluez "* ]] || BLUEZ_PENDING=$DRY_RUN
    did "packages: installed ${wanted[*]} with apt"
}

# -- user and groups -----------------------------------------------------------------------

# HAVE_USER: the pyde1 user exists (or, in a dry run, would have been created).
HAVE_USER=0

step_user() {
    if [[ -n $PREFIX ]] && ((!CREATE_USER)); then
        if user_exists; then
            HAVE_USER=1
            skip "user $SERVICE_USER: not created under --prefix (it exists: files are given to it)"
        else
            skip "user $SERVICE_USER: not created under --prefix (it does not exist: files stay owned by $(id -un))"
        fi
        return
    fi
    if user_exists; then
        ok "user $SERVICE_USER: exists"
    else
        run useradd --system --user-group --home-dir /home/pyde1 --no-create-home \
            --shell /usr/sbin/nologin --comment "pyde1 DE1 controller" "$SERVICE_USER"
        did "user $SERVICE_USER: created system user and group (home /home/pyde1, no login shell)"
    fi
    HAVE_USER=1
    if ((BLUEZ_PENDING)); then
        did "group bluetooth: added $SERVICE_USER (the group comes with bluez)"
    elif ! group_exists bluetooth; then
        skip "group bluetooth: does not exist (install bluez, then run this again)"
    elif id -nG "$SERVICE_USER" 2>/dev/null | tr ' ' '\n' | grep -qx bluetooth; then
        ok "group bluetooth: $SERVICE_USER is a member"
    else
        run usermod -a -G bluetooth "$SERVICE_USER"
        did "group bluetooth: added $SERVICE_USER"
    fi
}

# Owners used below. Without the pyde1 user (a --prefix run) files stay with whoever runs this.
set_owners() {
    ROOT_USER=$(id -un); ROOT_GROUP=$(id -gn)
    if ((HAVE_USER)); then SVC_USER=$SERVICE_USER; SVC_GROUP=$SERVICE_USER
    else SVC_USER=$ROOT_USER; SVC_GROUP=$ROOT_GROUP; fi
}

# -- directories ---------------------------------------------------------------------------

# ensure_dir PATH OWNER GROUP MODE [keep]: create it, or fix its owner and mode.
# With "keep", an existing directory is left as it is (a home directory someone set up).
ensure_dir() {
    local path=$1 owner=$2 group=$3 mode=$4 keep=${5:-}
    if [[ -d $path ]]; then
        local now
        now=$(stat -c '%U:%G %a' "$path")
        if [[ $now == "$owner:$group $mode" || -n $keep ]]; then
            ok "$path: directory present ($now)"
            return
        fi
        run chown "$owner:$group" "$path"
        run chmod "$mode" "$path"
        did "$path: owner and mode set to $owner:$group $mode (were $now)"
    else
        run install -d -o "$owner" -g "$group" -m "$mode" "$path"
        did "$path: directory created ($owner:$group $mode)"
    fi
}

step_dirs() {
    ensure_dir "$ETC" "$ROOT_USER" "$ROOT_GROUP" 755
    ensure_dir "$LIB" "$SVC_USER" "$SVC_GROUP" 750
    ensure_dir "$LOG" "$SVC_USER" "$SVC_GROUP" 755
    ensure_dir "$HOME_DIR" "$SVC_USER" "$SVC_GROUP" 755 keep
    # The venv belongs to root: the service can read its code, not change it.
    ensure_dir "$VENV_DIR" "$ROOT_USER" "$ROOT_GROUP" 755
}

# -- files (configs, units, logrotate) -----------------------------------------------------

# The manifest remembers, per installed file, the example it was last given, so that an
# unedited file can be updated to a newer example while an edited one is never touched.
declare -A RECORDED=()
MANIFEST_DIRTY=0

load_manifest() {
    [[ -f $MANIFEST ]] || return 0
    local sum name
    while read -r sum name; do
        if [[ -n ${name:-} ]]; then RECORDED[$name]=$sum; fi
    done <"$MANIFEST"
}

save_manifest() {
    ((MANIFEST_DIRTY)) && ((!DRY_RUN)) || return 0
    local name
    for name in "${!RECORDED[@]}"; do
        printf '%s  %s\n' "${RECORDED[$name]}" "$name"
    done | LC_ALL=C sort -k2 >"$MANIFEST.tmp"
    chmod 644 "$MANIFEST.tmp"
    mv -f "$MANIFEST.tmp" "$MANIFEST"
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

record() { # record NAME SUM
    if [[ ${RECORDED[$1]:-} != "$2" ]]; then RECORDED[$1]=$2; MANIFEST_DIRTY=1; fi
}

# ensure_mode PATH OWNER GROUP MODE -> prints nothing; sets FIXED_MODE when it changed them.
ensure_mode() {
    FIXED_MODE=""
    local now
    now=$(stat -c '%U:%G %a' "$1")
    if [[ $now != "$2:$3 $4" ]]; then
        run chown "$2:$3" "$1"
        run chmod "$4" "$1"
        FIXED_MODE=" (owner and mode set to $2:$3 $4, were $now)"
    fi
}

# install_file SRC DEST OWNER GROUP MODE: never overwrites a file someone edited.
FILES_CHANGED=0
install_file() {
    local src=$1 dest=$2 owner=$3 group=$4 mode=$5
    local key=${dest#"$PREFIX"} example current
    example=$(sha "$src")
    if [[ ! -e $dest ]]; then
        run install -o "$owner" -g "$group" -m "$mode" "$src" "$dest"
        record "$key" "$example"; FILES_CHANGED=1
        did "$dest: installed ($owner:$group $mode)"
        return
    fi
    current=$(sha "$dest")
    if [[ $current == "$example" ]]; then
        record "$key" "$example"
        ensure_mode "$dest" "$owner" "$group" "$mode"
        if [[ -n $FIXED_MODE ]]; then did "$dest: up to date$FIXED_MODE"; else ok "$dest: up to date"; fi
        return
    fi
    if [[ $current == "${RECORDED[$key]:-none}" ]]; then
        # Exactly what an earlier run installed: nobody edited it, so take the new example.
        run install -o "$owner" -g "$group" -m "$mode" "$src" "$dest"
        record "$key" "$example"; FILES_CHANGED=1
        did "$dest: updated to the new example (it had not been edited)"
        return
    fi
    # Edited. Keep it; offer the new example beside it.
    ensure_mode "$dest" "$owner" "$group" "$mode"
    if [[ -f $dest.new && $(sha "$dest.new") == "$example" ]]; then
        record "$key" "$example"
        if [[ -n $FIXED_MODE ]]; then did "$dest: your edited file is kept; $dest.new is the current example$FIXED_MODE"
        else ok "$dest: your edited file is kept; $dest.new is the current example"; fi
        return
    fi
    if [[ ${RECORDED[$key]:-} == "$example" ]]; then
        # This example was offered before and its .new was removed: do not offer it again.
        if [[ -n $FIXED_MODE ]]; then did "$dest: your edited file is kept (the example has not changed)$FIXED_MODE"
        else ok "$dest: your edited file is kept (the example has not changed)"; fi
        return
    fi
    run install -o "$owner" -g "$group" -m "$mode" "$src" "$dest.new"
    record "$key" "$example"
    did "$dest: your edited file is kept; the new example is $dest.new (compare: diff -u $dest $dest.new)$FIXED_MODE"
}

UNITS_CHANGED=0
step_files() {
    load_manifest
    local name conf_group=$SVC_GROUP
    for name in "${CONFIG_FILES[@]}"; do
        # The configs may hold passwords: readable by root and the pyde1 group only.
        install_file "$SRC/conf/$name" "$ETC/$name" "$ROOT_USER" "$conf_group" 640
    done
    FILES_CHANGED=0
    for name in "${UNIT_FILES[@]}"; do
        install_file "$SRC/conf/$name" "$ETC/$name" "$ROOT_USER" "$ROOT_GROUP" 644
    done
    UNITS_CHANGED=$FILES_CHANGED
    [[ -d ${LOGROTATE%/*} ]] || run install -d -m 755 "${LOGROTATE%/*}"
    install_file "$SRC/conf/logrotate-pyde1" "$LOGROTATE" "$ROOT_USER" "$ROOT_GROUP" 644
    save_manifest
}

# -- the virtualenv ------------------------------------------------------------------------

# The files that make up the installed package, relative to SRC, one per line, sorted.
source_files() {
    (
        cd "$SRC"
        for f in setup.cfg setup.py pyproject.toml MANIFEST.in README.md LICENSE; do
            if [[ -f $f ]]; then printf '%s\n' "$f"; fi
        done
        find pyde1 actors -type f ! -path '*/__pycache__/*' ! -name '*.py[co]'
        # Plain scripts that setup.cfg installs into the venv's bin/.
        "$PY" - <<'EOF'
import configparser
cfg = configparser.ConfigParser()
cfg.read("setup.cfg")
for line in cfg.get("options", "scripts", fallback="").split():
    print(line)
EOF
    ) | LC_ALL=C sort -u
}

# One hash for the source files, the Python version and the way the venv is built.
source_hash() {
    {
        (cd "$SRC" && source_files | tr '\n' '\0' | xargs -0 sha256sum)
        printf 'python %s\nvenv-layout 1\n' "$PY_VERSION"
    } | sha256sum | cut -d' ' -f1
}

# Run a program as the service user (so nothing it creates ends up owned by root), from /
# (it may not be allowed to read the current directory). Under --prefix as whoever runs
# this: the service user may not even be able to reach the prefix.
as_service() {
    if [[ -z $PREFIX ]] && ((EUID == 0)) && user_exists; then
        (cd / && runuser -u "$SERVICE_USER" -- "$@")
    else
        (cd / && "$@")
    fi
}

# A venv built in pyde1.new must work once renamed to pyde1: point its scripts at it.
retarget_venv() {
    "$1/bin/python" - "$1" "$2" <<'EOF'
import pathlib, sys
built, final = sys.argv[1].encode(), sys.argv[2].encode()
venv = pathlib.Path(sys.argv[1])
for path in [*(venv / "bin").iterdir(), venv / "pyvenv.cfg"]:
    if path.is_symlink() or not path.is_file():
        continue
    data = path.read_bytes()
    if built in data:
        path.write_bytes(data.replace(built, final))
EOF
}

build_new_venv() {
    local stage log t0
    t0=$SECONDS
    rm -rf "$NEW_VENV"
    stage=$(mktemp -d); log=$(mktemp)
    # Build from a copy of exactly the hashed files: the source tree stays clean.
    (cd "$SRC" && source_files | tr '\n' '\0' | xargs -0 cp --parents -t "$stage")
    if ! { "$PY" -m venv "$NEW_VENV" && "$NEW_VENV/bin/python" -m pip install --no-input \
            --disable-pip-version-check "$stage"; } >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        rm -rf "$stage" "$log" "$NEW_VENV"
        fail "venv: building $NEW_VENV failed (pip output above); the installed venv is unchanged"
    fi
    rm -rf "$stage" "$log"
    printf '%s\n' "$1" >"$NEW_VENV/$STAMP_NAME"
    BUILT_VERSION=$("$NEW_VENV/bin/pyde1-run" --version)
    did "$NEW_VENV: built with Python $PY_VERSION, $BUILT_VERSION ($((SECONDS - t0)) s)"
}

# Check the config (and migrate the database) with the new venv before it replaces the old.
check_new_venv() {
    local out conf=$ETC/pyde1.conf db env=() logdir=()
    if ! out=$(as_service "$NEW_VENV/bin/pyde1-run" -c "$conf" --check-config 2>&1); then
        printf '%s\n' "$out" >&2
        rm -rf "$NEW_VENV"
        fail "check: $conf has problems for the new version (above); fix them and run this again. The installed venv is unchanged"
    fi
    did "check: $NEW_VENV/bin/pyde1-run --check-config: ${out##*$'\n'}"
    db=$(as_service "$NEW_VENV/bin/python" -c \
        'import sys; from pyde1.config import load_config; print(load_config(sys.argv[1]).database.FILENAME)' "$conf")
    if [[ -n $PREFIX ]]; then
        env=("PYDE1_DATABASE__FILENAME=$PREFIX$db")
        logdir=(--log-dir "$LOG")
        db=$PREFIX$db
    fi
    if [[ ! -e $db ]]; then
        skip "migrate: no database at $db yet (it is created on first start)"
        return
    fi
    if ! out=$(as_service env "${env[@]}" "$NEW_VENV/bin/pyde1-run" -c "$conf" "${logdir[@]}" --migrate-only 2>&1); then
        printf '%s\n' "$out" >&2
        rm -rf "$NEW_VENV"
        fail "migrate: the new version could not open or migrate $db (above). The installed venv is unchanged"
    fi
    # pyde1-run --migrate-only ends with "<file>: schema N, nothing to do" when it changed nothing.
    if [[ ${out##*$'\n'} == *"nothing to do" ]]; then
        ok "migrate: ${out##*$'\n'} (checked with the new version)"
    else
        did "migrate: ${out##*$'\n'} (done by the new version)"
    fi
}

VENV_CHANGED=0
step_venv() {
    local hash
    hash=$(source_hash)
    if [[ -x $VENV/bin/pyde1-run && -f $VENV/$STAMP_NAME && $(<"$VENV/$STAMP_NAME") == "$hash" ]]; then
        ok "$VENV: up to date ($("$VENV/bin/pyde1-run" --version), source ${hash:0:12})"
        return
    fi
    if ((DRY_RUN)); then
        did "$VENV: build $NEW_VENV from $SRC (source ${hash:0:12}), check the config and the database with it, then swap it in"
        return
    fi
    build_new_venv "$hash"
    check_new_venv
    retarget_venv "$NEW_VENV" "$VENV"
    if [[ -e $VENV ]]; then
        rm -rf "$OLD_VENV"
        mv "$VENV" "$OLD_VENV"
        mv "$NEW_VENV" "$VENV"
        if ! "$VENV/bin/pyde1-run" --version >/dev/null 2>&1; then
            rm -rf "$VENV"; mv "$OLD_VENV" "$VENV"
            fail "$VENV: the new venv does not run after the swap; the previous one is back in place"
        fi
        did "$VENV: now $BUILT_VERSION; the previous venv is kept as $OLD_VENV"
        printf '        to roll back: sudo systemctl stop pyde1 && sudo rm -rf %s && sudo mv %s %s && sudo systemctl start pyde1\n' \
            "$VENV" "$OLD_VENV" "$VENV"
    else
        mv "$NEW_VENV" "$VENV"
        did "$VENV: installed $BUILT_VERSION"
    fi
    VENV_CHANGED=1
}

# -- systemd -------------------------------------------------------------------------------

step_systemd() {
    if [[ -n $PREFIX ]]; then
        skip "systemd: not touched under --prefix"
        return
    fi
    if ! systemd_running; then
        skip "systemd: not running here; to start pyde1 by hand: sudo -u pyde1 $VENV/bin/pyde1-run"
        return
    fi
    local unit target link linked=0
    for unit in "${UNIT_FILES[@]}"; do
        target=$ETC/$unit; link=$SYSTEMD_DIR/$unit
        if [[ -L $link && $(readlink "$link") == "$target" ]]; then
            ok "$link: linked to $target"
        elif [[ -e $link || -L $link ]]; then
            skip "$link: exists and is not a link to $target; left as it is"
        else
            run systemctl link "$target" >/dev/null
            linked=1
            did "$link: linked to $target"
        fi
    done
    if ((UNITS_CHANGED || linked)); then
        run systemctl daemon-reload
        did "systemd: reloaded the unit files"
    fi
    for unit in "${UNIT_FILES[@]}"; do
        if [[ $unit == pyde1-visualizer.service && ! -x $VENV/bin/pyde1-run-visualizer ]]; then
            if [[ $(systemctl is-enabled "$unit" 2>/dev/null || true) == enabled ]]; then
                # e.g. pyDE1's uploader, enabled before this install: it would fail in a loop.
                skip "$unit: enabled, but pyde1-run-visualizer is not installed in $VENV: it will fail; sudo systemctl disable --now $unit"
            else
                skip "$unit: not enabled (pyde1-run-visualizer is not installed in $VENV)"
            fi
            continue
        fi
        local enabled
        enabled=$(systemctl is-enabled "$unit" 2>/dev/null || true)
        if [[ $unit == pyde1-visualizer.service && $enabled != enabled ]] \
            && { [[ ! -f $ETC/pyde1-visualizer.conf ]] || cmp -s "$ETC/pyde1-visualizer.conf" "$SRC/conf/pyde1-visualizer.conf"; }; then
            # With the example's placeholder login every upload would fail.
            skip "$unit: not enabled until your Visualizer login is in $ETC/pyde1-visualizer.conf (then run this again)"
            continue
        fi
        if [[ $enabled == enabled ]]; then
            ok "$unit: enabled"
        else
            run systemctl enable "$unit" >/dev/null 2>&1
            did "$unit: enabled (starts at boot)"
        fi
    done
    if ! systemctl is-active --quiet pyde1.service; then
        skip "pyde1.service: not running; start it with: sudo systemctl start pyde1"
    elif ((VENV_CHANGED || UNITS_CHANGED)); then
        if run systemctl restart pyde1.service && { ((DRY_RUN)) || systemctl is-active --quiet pyde1.service; }; then
            did "pyde1.service: restarted with the new version"
        else
            fail "pyde1.service: did not start again; see: journalctl -u pyde1 -n 50. To roll back, see the line above"
        fi
    else
        ok "pyde1.service: running"
    fi
}

# -- main ----------------------------------------------------------------------------------

main() {
    parse_args "$@"
    set_paths
    ((DRY_RUN)) && printf 'dry run: nothing is changed\n'
    step_preflight
    step_packages
    step_user
    set_owners
    step_dirs
    step_files
    step_venv
    step_systemd
    if ((DRY_RUN)); then
        printf 'dry run: %d step(s) would change something\n' "$CHANGES"
    elif ((CHANGES)); then
        printf 'finished: %d change(s)\n' "$CHANGES"
    else
        printf 'finished: nothing to change, everything was up to date\n'
    fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
fi
