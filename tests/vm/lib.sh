# Shared by the guest /init and every scenario (busybox sh). A scenario does:
#   . /vm/lib.sh; scenario_begin NAME; ...; pass "detail"
# and prints exactly one result line:
#   LLCSLICE-RESULT <topology> <scenario> PASS|FAIL|SKIP <seconds> <detail>

VM_RUN=/run/llcslice-vm       # state the init leaves for the scenarios
VM_LOCK_ROOT=/tmp/llcslice-vm-locks
CG=/sys/fs/cgroup
TOPO=$(cat $VM_RUN/topology 2>/dev/null)
RUN_CGROUP=$(cat $VM_RUN/run_cgroup 2>/dev/null)

now() { read -r _up _ </proc/uptime && echo "$_up"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
note() { echo "# ${SCEN:-init}: $*"; }

# ---- results --------------------------------------------------------------------------------

# One result line per scenario (scenario 0 reports its two halves under two names).
result() { # NAME STATUS DETAIL...
    local name=$1 status=$2
    shift 2
    echo "LLCSLICE-RESULT $TOPO $name $status $(since "$T0") $(echo "$*" | tr '\n' ' ')"
}

# Kill what the scenario left running (holders, supervisors, jobs) before leaving.
scenario_cleanup() {
    [ -n "$W" ] && touch "$W/release"
    for _p in $BG_PIDS; do kill -9 "$_p" 2>/dev/null; done
    for _p in $BG_PIDS; do wait "$_p" 2>/dev/null; done
    BG_PIDS=
}

pass() { scenario_cleanup; result "$SCEN" PASS "$*"; exit 0; }
skip() { scenario_cleanup; result "$SCEN" SKIP "$*"; exit 0; }
fail() {
    result "$SCEN" FAIL "$*"
    note "failure context: stderr of the last llcslice calls in $W:"
    for _f in "$W"/*.err; do
        [ -s "$_f" ] && sed "s|^|#   ${_f##*/}: |" "$_f" | tail -n 5
    done
    scenario_cleanup
    exit 1
}
check() { # MESSAGE COMMAND... : fail with MESSAGE unless COMMAND succeeds
    local msg=$1
    shift
    "$@" || fail "$msg"
}

# Each scenario gets a fresh work dir and lock dir (never the default /tmp + prefix).
scenario_begin() {
    SCEN=$1
    T0=$(now)
    BG_PIDS=
    W=$(mktemp -d /tmp/llcslice-vm-$SCEN.XXXXXX)
    mkdir -p $VM_LOCK_ROOT
    LOCKS=$(mktemp -d $VM_LOCK_ROOT/$SCEN.XXXXXX)
    export LLCSLICE_LOCK_DIR=$LOCKS
    unset LLCSLICE_LOCK_PREFIX LLCSLICE_CPU_CAP LLCSLICE_FSROOT LLCSLICE_ALLOWED_CPUS
    trap 'scenario_cleanup' EXIT
}

# ---- llcslice invocations ------------------------------------------------------------------

# ls_run NAME ARGS...: llcslice ARGS in the foreground; $W/NAME.out/.err, RC set.
ls_run() {
    local name=$1
    shift
    llcslice "$@" >"$W/$name.out" 2>"$W/$name.err"
    RC=$?
    echo "$RC" >"$W/$name.rc"
}
# ls_bg NAME ARGS...: llcslice ARGS in the background; PID set to llcslice's own pid.
ls_bg() {
    local name=$1
    shift
    llcslice "$@" >"$W/$name.out" 2>"$W/$name.err" &
    PID=$!
    BG_PIDS="$BG_PIDS $PID"
    echo "$PID" >"$W/$name.pid"
}
# ls_wait NAME: wait for a background llcslice; RC set.
ls_wait() {
    wait "$(cat "$W/$1.pid")"
    RC=$?
    echo "$RC" >"$W/$1.rc"
}
err_of() { tr '\n' ' ' <"$W/$1.err" | cut -c1-300; }

# wait_file PATH SECONDS: poll until PATH exists; 1 if it does not in time.
wait_file() {
    local n=0 lim=$(($2 * 10))
    while [ ! -e "$1" ]; do
        [ $n -ge $lim ] && return 1
        sleep 0.1
        n=$((n + 1))
    done
}
# The job: /vm/probe.sh OUT [HOLD] records what it sees into OUT, then holds until HOLD (or
# the scenario-wide $W/release) exists. `job NAME` exits at once, `held_job NAME [HOLD]` holds.
job() { echo /vm/probe.sh "$W/$1.job"; }
held_job() { echo /vm/probe.sh "$W/$1.job" "$W/${2:-release}"; }
# wait_job NAME SECONDS: until the job started by `ls_bg NAME` has written its report; fails
# at once if that llcslice exits first, or after SECONDS.
wait_job() {
    local n=0 lim=$(($2 * 10)) pid
    pid=$(cat "$W/$1.pid")
    while [ ! -e "$W/$1.job" ]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            ls_wait "$1"
            fail "llcslice for job $1 exited $RC before its job started: $(err_of "$1")"
        fi
        [ $n -ge $lim ] && fail "job $1 did not start within $2 s"
        sleep 0.1
        n=$((n + 1))
    done
}
# kv NAME KEY: a field the job NAME recorded.
kv() { sed -n "s/^$2=//p" "$W/$1.job"; }

# alive PID: the process exists and is not a zombie.
alive() { [ -e /proc/$1/stat ] && ! grep -q '^State:[[:space:]]*Z' /proc/$1/status 2>/dev/null; }

# ---- cpu lists -----------------------------------------------------------------------------

# Canonical form of a cpu list: "8,0-3,2" -> "0-3,8"; "" -> "".
cpus_norm() {
    echo "$1" | awk -F, '{
        for (i = 1; i <= NF; i++) {
            if ($i == "") continue
            n = split($i, r, "-"); a = r[1] + 0; b = (n > 1 ? r[2] : r[1]) + 0
            for (c = a; c <= b; c++) s[c] = 1
        }
    } END {
        out = ""; c = 0; max = -1
        for (k in s) if (k + 0 > max) max = k + 0
        while (c <= max) {
            if (!(c in s)) { c++; continue }
            a = c; while ((c + 1) in s) c++
            out = out (out == "" ? "" : ",") (a == c ? a : a "-" c); c++
        }
        print out
    }'
}
cpus_list() { cpus_norm "$1" | awk -F, '{ for (i = 1; i <= NF; i++) { n = split($i, r, "-"); for (c = r[1]; c <= (n > 1 ? r[2] : r[1]); c++) print c } }'; }
cpus_count() { cpus_list "$1" | wc -l | tr -d ' '; }
cpus_eq() { [ "$(cpus_norm "$1")" = "$(cpus_norm "$2")" ]; }
cpus_union() { cpus_norm "$1,$2"; }
cpus_inter() {
    { cpus_list "$1"; cpus_list "$2"; } | sort -n | uniq -d | tr '\n' ',' | { read -r l; cpus_norm "$l"; }
}
cpus_subset() { cpus_eq "$(cpus_inter "$1" "$2")" "$1"; }   # A within B
cpus_disjoint() { [ -z "$(cpus_inter "$1" "$2")" ]; }

# ---- the guest's topology as sysfs shows it (table made once by the init) -------------------

# $VM_RUN/cpus.tab: "cpu llc_index node llc_cpus llc_id" per online CPU, where the LLC is the
# highest-level Unified/Data cache (its shared_cpu_list), LLCs indexed by lowest CPU, and the
# node is the lowest-id node listing the CPU. One awk pass: forks are slow under TCG.
topo_table_build() {
    ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | sed 's/.*node//' | sort -n >"$VM_RUN/nodes"
    awk -v online="$(cat /sys/devices/system/cpu/online)" -v nodes="$(tr '\n' ' ' <"$VM_RUN/nodes")" '
    function expand(list, set,    parts, n, i, r, k, c) {
        n = split(list, parts, ",")
        for (i = 1; i <= n; i++) {
            if (parts[i] == "") continue
            k = split(parts[i], r, "-")
            for (c = r[1] + 0; c <= (k > 1 ? r[2] : r[1]) + 0; c++) set[c] = 1
        }
    }
    function canon(list,    s, c, a, out, max) {
        split("", s); expand(list, s); out = ""; max = -1
        for (c in s) if (c + 0 > max) max = c + 0
        for (c = 0; c <= max; c++) {
            if (!(c in s)) continue
            a = c; while ((c + 1) in s) c++
            out = out (out == "" ? "" : ",") (a == c ? a : a "-" c)
        }
        return out
    }
    function rd(f,    v) { v = ""; if ((getline v < f) <= 0) v = ""; close(f); return v }
    BEGIN {
        expand(online, on)
        nn = split(nodes, nid, " ")
        for (i = 1; i <= nn; i++) { split("", m); expand(rd("/sys/devices/system/node/node" nid[i] "/cpulist"), m); for (c in m) if (!(c in home)) home[c] = nid[i] }
        max = -1; for (c in on) if (c + 0 > max) max = c + 0
        nidx = 0
        for (c = 0; c <= max; c++) {
            if (!(c in on)) continue
            best = -1; shared = ""; id = "none"
            for (x = 0; x < 16; x++) {
                d = "/sys/devices/system/cpu/cpu" c "/cache/index" x
                t = rd(d "/type"); if (t == "") continue
                if (t != "Unified" && t != "Data") continue
                l = rd(d "/level") + 0
                if (l > best) { best = l; shared = canon(rd(d "/shared_cpu_list")); id = rd(d "/id"); if (id == "") id = "none" }
            }
            if (!(shared in idx)) idx[shared] = nidx++
            print c, idx[shared], (c in home ? home[c] : 0), shared, id
        }
    }' >"$VM_RUN/cpus.tab"
}
llc_of() { awk -v c="$1" '$1 == c { print $2 }' "$VM_RUN/cpus.tab"; }
llc_cpus() { awk -v i="$1" '$2 == i { print $4; exit }' "$VM_RUN/cpus.tab"; }
nllcs() { awk '{ print $2 }' "$VM_RUN/cpus.tab" | sort -un | wc -l | tr -d ' '; }
nnodes_with_cpus() { awk '{ print $3 }' "$VM_RUN/cpus.tab" | sort -un | wc -l | tr -d ' '; }
online_cpus() { cpus_norm "$(cat /sys/devices/system/cpu/online)"; }
# LLC indices / nodes a cpu list touches, as cpu-list-style sets
llcs_of() { _tab_col 2 "$1"; }
nodes_of() { _tab_col 3 "$1"; }
_tab_col() {
    cpus_list "$2" | awk -v col="$1" 'NR == FNR { want[$1] = 1; next } ($1 in want) { print $col }' - "$VM_RUN/cpus.tab" |
        sort -un | tr '\n' ',' | { read -r l; cpus_norm "$l"; }
}

# ---- locks -----------------------------------------------------------------------------------

# The flock holders of FILE from /proc/locks: "READ" (LOCK_SH) or "WRITE" (LOCK_EX) per holder
# (blocked waiters, "->" lines, are not holders).
flock_holders() {
    local dev ino
    dev=$(stat -c %d "$1") ino=$(stat -c %i "$1")
    awk -v want="$(printf '%02x:%02x:%s' $((dev >> 8 & 0xfff)) $(((dev & 0xff) | (dev >> 12 & 0xfff00))) "$ino")" \
        '$2 == "FLOCK" && $6 == want { print $4 }' /proc/locks
}
# Lockfiles under DIR that anyone holds, as "file:holders" words.
held_lockfiles() {
    local f h
    for f in "$1"/*.lock; do
        [ -e "$f" ] || continue
        h=$(flock_holders "$f" | tr '\n' ' ')
        [ -n "$h" ] && echo "${f##*/}:$h"
    done
}

# ---- job-side assertions ---------------------------------------------------------------------

# check_job NAME NCPUS: the job's own view is one consistent reservation of NCPUS CPUs ("-":
# any number) inside a child group of the caller's cgroup: Cpus_allowed == cpuset.cpus.effective
# == LLCSLICE_CPUS, nproc == LLCSLICE_NCPUS == NCPUS, Mems_allowed == cpuset.mems.effective ==
# LLCSLICE_MEMS == the nodes of its CPUs.
check_job() {
    local j=$1 n=$2 cpus mems cg
    [ -s "$W/$j.job" ] || fail "job $j wrote no report"
    cpus=$(kv "$j" cpus_allowed) mems=$(kv "$j" mems_allowed) cg=$(kv "$j" cgroup)
    [ "$n" = - ] && n=$(cpus_count "$cpus")
    [ "$(cpus_count "$cpus")" = "$n" ] || fail "job $j: Cpus_allowed_list $cpus is not $n CPUs"
    cpus_eq "$cpus" "$(kv "$j" eff_cpus)" || fail "job $j: Cpus_allowed_list $cpus != cpuset.cpus.effective $(kv "$j" eff_cpus) of $cg"
    cpus_eq "$cpus" "$(kv "$j" env_cpus)" || fail "job $j: LLCSLICE_CPUS=$(kv "$j" env_cpus) != Cpus_allowed_list $cpus"
    [ "$(kv "$j" env_ncpus)" = "$n" ] || fail "job $j: LLCSLICE_NCPUS=$(kv "$j" env_ncpus), want $n"
    [ "$(kv "$j" nproc)" = "$n" ] || fail "job $j: nproc=$(kv "$j" nproc), want $n"
    cpus_eq "$mems" "$(kv "$j" eff_mems)" || fail "job $j: Mems_allowed_list $mems != cpuset.mems.effective $(kv "$j" eff_mems)"
    cpus_eq "$mems" "$(kv "$j" env_mems)" || fail "job $j: LLCSLICE_MEMS=$(kv "$j" env_mems) != Mems_allowed_list $mems"
    cpus_eq "$mems" "$(nodes_of "$cpus")" || fail "job $j: mems $mems != nodes $(nodes_of "$cpus") of its CPUs $cpus"
    case "$cg" in
    "${RUN_CGROUP%/}"/?*) ;;
    *) fail "job $j: runs in cgroup '$cg', not in a child group of the caller's $RUN_CGROUP" ;;
    esac
}

# What the topology under test promised (EXPECT_*, GUEST_CGROUP).
if [ -n "$TOPO" ] && [ -r /vm/topologies.sh ]; then
    . /vm/topologies.sh
    command -v "topo_$TOPO" >/dev/null 2>&1 && "topo_$TOPO"
fi

# jq filter: a JSON cpu set (array of numbers or "0-3,8" string) as a cpu-list string.
JQ_CPUS='def cpus: if type == "array" then map(tostring) | join(",") elif type == "string" then . else error("cpus is a \(type)") end;'
