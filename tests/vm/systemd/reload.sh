#!/bin/bash
# A long job's cpuset survives what used to undo the cgroupfs manager's: daemon-reload,
# daemon-reexec, restarting another unit with CPUAffinity=, set-property AllowedCPUs= of another
# unit. Cpus_allowed_list and Mems_allowed_list are sampled every second and never change.
SC=reload
. /vm/sd/lib.sh
d=/run/vmt/reload
mkdir -p "$d"
llcslice run --cpus 2 --mode dedicated -- sh -c \
    "echo \"\$LLCSLICE_CPUS \$LLCSLICE_MEMS\" >$d/plan; touch $d/started; exec sleep 901" \
    >"$d/out" 2>&1 &
lpid=$!
wait_for 300 eval '[[ -s $d/plan ]] && pgrep -x -f "sleep 901" >/dev/null' || fail "the job did not start within 300 s"
# The job is pid 2 of its own pid namespace: find it from here by its command line.
jpid=$(pgrep -x -f "sleep 901")
plan=$(cat "$d/plan")
echo "  job $jpid in $(sed -n 's/^0:://p' /proc/$jpid/cgroup), planned $plan"
sample() {
    while kill -0 "$jpid" 2>/dev/null; do
        awk '$1 == "Cpus_allowed_list:" { c = $2 } $1 == "Mems_allowed_list:" { m = $2 }
             END { print c, m }' "/proc/$jpid/status" 2>/dev/null
        sleep 1
    done
}
sample >"$d/samples" &
spid=$!
step() {
    echo "  $*"
    "$@" || echo "  ($* failed: $?)"
    sleep 3
}
step systemctl daemon-reload
step systemctl daemon-reexec
step systemctl restart vmt-aff.service
step systemctl set-property --runtime vmt-aff.service AllowedCPUs=0-3
step systemctl daemon-reload
step systemctl restart vmt-aff.service
sleep 2
kill "$jpid"
wait "$lpid"
rc=$?
wait "$spid" 2>/dev/null
systemctl stop vmt-aff.service
n=$(grep -c . "$d/samples")
bad=$(grep -v -x -F "$plan" "$d/samples" | sort | uniq -c | tr '\n' ';')
echo "  $n samples, llcslice exit $rc (143: the job got SIGTERM)"
ok "$n samples, all '$plan'${bad:+, but: $bad}" eval '[[ $n -ge 10 && -z $bad ]]'
ok "llcslice ended with the job's status (143)" test "$rc" = 143
exit 0
