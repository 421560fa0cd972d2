#!/bin/bash
# Run every scenario unit in order, then print the summary line and power off.
SC=main
. /vm/sd/lib.sh
echo "VMT-BOOTED uptime $(cut -d' ' -f1 /proc/uptime) s, systemd $(systemctl --version | awk 'NR == 1 { print $2 }')"
only=$(cat /vm/sd/only 2>/dev/null)
for sc in plain deleg user reload kill slots sweep bench final; do
    [[ -z $only || " $only " == *" $sc "* ]] || continue
    t0=$(date +%s)
    # Not 'systemctl start': a scenario re-executes systemd, which cuts that call short.
    systemctl start --no-block "vmt-$sc.service"
    state=activating
    while [[ $state != inactive && $state != failed ]]; do
        sleep 1
        state=$(systemctl show -p ActiveState --value "vmt-$sc.service" 2>/dev/null) || state=activating
        [[ -n $state ]] || state=activating
    done
    [[ $state == inactive ]] || fail "unit vmt-$sc.service failed"
    echo "VMT-TIME $sc $(($(date +%s) - t0)) s"
done
npass=$(grep -c '^PASS' "$R")
nfail=$(grep -c '^FAIL' "$R")
grep '^FAIL' "$R" | sed 's/^/VMT-FAILED /'
echo "VMT-SUMMARY pass=$npass fail=$nfail uptime=$(cut -d' ' -f1 /proc/uptime)"
systemctl poweroff --no-block
