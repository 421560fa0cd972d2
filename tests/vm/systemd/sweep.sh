#!/bin/bash
# llcslice sweep stops an llcslice scope whose supervisor is gone (pid 2 never started at that
# time), and leaves one whose supervisor runs.
SC=sweep
. /vm/sd/lib.sh
systemd-run --scope --quiet --collect --unit=llcslice-stale-2-999999999-deadbeef sleep 900 &
mine="llcslice-alive-$$-$(awk '{ print $22 }' /proc/$$/stat)-cafef00d"
systemd-run --scope --quiet --collect --unit="$mine" sleep 900 &
wait_for 120 eval '[[ $(systemctl is-active llcslice-stale-2-999999999-deadbeef.scope $mine.scope | sort -u) == active ]]' ||
    fail "helper scopes did not start"
out=$(llcslice sweep 2>&1)
rc=$?
echo "$out" | sed 's/^/  /'
ok "exit $rc, the stale scope stopped" wait_for 120 eval '[[ $rc == 0 && -z $(systemctl list-units --all --no-legend llcslice-stale-2-999999999-deadbeef.scope) ]]'
ok "the scope of a live supervisor kept" systemctl is-active --quiet "$mine.scope"
systemctl stop "$mine.scope"
exit 0
