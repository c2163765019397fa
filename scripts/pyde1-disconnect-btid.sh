#!/bin/sh
# Disconnect Bluetooth devices that a previous pyde1 run left connected.
#
# pyde1 writes one <12 hex digits><SUFFIX> file per connected device into SEARCH_DIR,
# holding the device address (no newline), and removes it on disconnect. If the service
# died without cleaning up, the device stays connected and cannot be found by the next
# run; this script, run as ExecStartPre/ExecStopPost of pyde1.service, finishes the job.
#
# Environment: SEARCH_DIR (default /var/lib/pyde1), SUFFIX (default .btid).
# Messages go to stderr. Always exits 0: a failure here must not keep pyde1 from starting.

SEARCH_DIR=${SEARCH_DIR:-/var/lib/pyde1}
SUFFIX=${SUFFIX:-.btid}

[ -d "$SEARCH_DIR" ] || { echo "pyde1-disconnect-btid: $SEARCH_DIR is not a directory; nothing to do" >&2; exit 0; }

for f in "$SEARCH_DIR"/*"$SUFFIX"; do
    [ -e "$f" ] || continue          # the glob matched nothing
    [ -f "$f" ] || { echo "pyde1-disconnect-btid: skipping $f: not a regular file" >&2; continue; }
    # The file must hold exactly one address and no newline at all.
    if [ "$(wc -l < "$f")" -ne 0 ]; then
        echo "pyde1-disconnect-btid: skipping $f: contains a newline" >&2
        continue
    fi
    id=$(cat "$f")
    if ! printf '%s' "$id" | grep -Eq '^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$'; then
        echo "pyde1-disconnect-btid: skipping $f: not a Bluetooth address: $id" >&2
        continue
    fi
    if bluetoothctl info "$id" 2>/dev/null | grep -q 'Connected: yes'; then
        echo "pyde1-disconnect-btid: disconnecting $id" >&2
        bluetoothctl disconnect "$id" >&2 || echo "pyde1-disconnect-btid: disconnect of $id failed" >&2
    else
        echo "pyde1-disconnect-btid: $id is not connected" >&2
    fi
    rm -f "$f"
done
exit 0
