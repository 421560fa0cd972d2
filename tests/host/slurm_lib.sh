# A private single-node Slurm for host tests (sourced, not a test itself; needs run_lib.sh first
# for $T, fail and PIDS). slurm_start runs munged, slurmctld and slurmd as root in the foreground
# with everything under $T/slurm: own munge key, socket, pid and seed files; own slurm.conf with
# ports on 127.0.0.1 nobody listens on, own state, spool, log and pid files. A system-wide
# slurm/munge setup is never read or touched. slurm_stop (also run on EXIT) ends each daemon by
# the pid this shell started it with.
#
# Usage: slurm_start [affinity|cgroup]; then srun/sbatch/sinfo find the cluster through the
# exported SLURM_CONF.

SLURM_DIR=$T/slurm
SLURM_PIDS=()
SLURM_CGROUP_ROOT= # the cpuset group task/cgroup makes (slurm_<node>), when this run made it

slurm_have() {
    local b
    for b in munged mungekey slurmctld slurmd srun sinfo scontrol; do
        command -v "$b" >/dev/null || return 1
    done
}

# A TCP port on 127.0.0.1 that nothing listens on now.
slurm_free_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + RANDOM % 40000))
        if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

slurm_logs() {
    local f
    for f in "$SLURM_DIR"/log/*.log "$SLURM_DIR"/log/*.out; do
        [[ -f $f ]] || continue
        echo "---- $f (last 60 lines)" >&2
        tail -n 60 "$f" >&2
    done
}

# slurm_fail MSG: fail with every daemon log printed, so a cluster that cannot start is an error
# that says why, never a silent pass.
slurm_fail() {
    slurm_logs
    fail "$*"
}

# Step daemons (slurmstepd) this cluster started: they are not our children, but they log into
# our slurmd.log, which no other process holds open.
slurm_stepds() {
    local p
    for p in $(pgrep -x slurmstepd); do
        ls -l "/proc/$p/fd" 2>/dev/null | grep -qF -- "-> $SLURM_DIR/" && echo "$p"
    done
    return 0
}

slurm_stop() {
    local p
    ((${#SLURM_PIDS[@]})) || return 0
    # let the steps finish while their daemons still answer (bounded), then end the daemons
    for _ in $(seq 600); do
        [[ -z $(squeue -h 2>/dev/null) && -z $(slurm_stepds) ]] && break
        sleep 0.2
    done
    for p in "${SLURM_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${SLURM_PIDS[@]}"; do
        for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    for p in $(slurm_stepds); do kill -KILL "$p" 2>/dev/null || true; done
    SLURM_PIDS=()
    # task/cgroup leaves its own root group (v1: <cpuset>/slurm_<node>) behind: remove the empty
    # groups of it, deepest first, when this run created it
    if [[ -n $SLURM_CGROUP_ROOT && -d $SLURM_CGROUP_ROOT ]]; then
        find "$SLURM_CGROUP_ROOT" -depth -type d -exec rmdir {} + 2>/dev/null || true
    fi
}

# The v1 cpuset mount point, if any (this host: cpuset is on v1, the v2 mount has none).
slurm_cpuset_mnt() {
    awk '$0 ~ / - cgroup / && $NF ~ /(^|,)cpuset(,|$)/ {print $5; exit}' /proc/self/mountinfo
}

# slurm_start MODE: MODE affinity (TaskPlugin=task/affinity) or cgroup (task/cgroup + affinity,
# ConstrainCores on the host's cgroup hierarchy, whatever version that is).
slurm_start() {
    local mode=${1:-affinity} node ctl_port d_port cpus mem
    slurm_have || fail "Slurm or munge is not installed (scripts/deps.sh installs slurmctld slurmd slurm-client munge)"
    mkdir -p "$SLURM_DIR"/{munge,state,spool,log,run}
    chmod 711 "$SLURM_DIR" "$SLURM_DIR/munge"
    node=$(hostname -s)
    cpus=$(nproc --all)
    mem=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 / 2))
    ctl_port=$(slurm_free_port) || fail "no free TCP port for slurmctld"
    d_port=$(slurm_free_port) || fail "no free TCP port for slurmd"
    [[ $ctl_port != "$d_port" ]] || d_port=$((ctl_port + 1))

    # munge: own key, socket, pid, seed and log; runs as root in the foreground.
    mungekey --create --keyfile="$SLURM_DIR/munge/munge.key" --force 2>/dev/null ||
        dd if=/dev/urandom of="$SLURM_DIR/munge/munge.key" bs=1024 count=1 status=none
    chmod 600 "$SLURM_DIR/munge/munge.key"
    local sock=$SLURM_DIR/munge/munge.sock
    munged -F --force --socket="$sock" --key-file="$SLURM_DIR/munge/munge.key" \
        --pid-file="$SLURM_DIR/munge/munged.pid" --seed-file="$SLURM_DIR/munge/munged.seed" \
        --log-file="$SLURM_DIR/log/munged.log" >>"$SLURM_DIR/log/munged.out" 2>&1 &
    SLURM_PIDS+=($!)
    for _ in $(seq 1200); do [[ -S $sock ]] && break; sleep 0.1; done
    [[ -S $sock ]] || slurm_fail "munged did not create its socket $sock within 120 s"

    local task=task/affinity proctrack=proctrack/linuxproc
    if [[ $mode == cgroup ]]; then
        task=task/cgroup,task/affinity
        local mnt
        mnt=$(slurm_cpuset_mnt)
        [[ -n $mnt && ! -e $mnt/slurm_$node ]] && SLURM_CGROUP_ROOT=$mnt/slurm_$node
        cat >"$SLURM_DIR/cgroup.conf" <<EOF
CgroupPlugin=autodetect
ConstrainCores=yes
ConstrainRAMSpace=no
ConstrainDevices=no
EOF
    fi
    cat >"$SLURM_DIR/slurm.conf" <<EOF
ClusterName=llcslicetest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctl_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$SLURM_DIR/run/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/run/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$SLURM_DIR/plugstack.conf
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
TaskPlugin=$task
ProctrackType=$proctrack
SchedulerType=sched/builtin
# test all pending jobs (dependencies) every 2 s, not every 60 s
SchedulerParameters=sched_interval=2
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
# the machine running the tests may be very loaded: generous timeouts everywhere
SlurmctldTimeout=600
SlurmdTimeout=600
MessageTimeout=100
TCPTimeout=60
BatchStartTimeout=300
PrologEpilogTimeout=300
UnkillableStepTimeout=300
KillWait=30
InactiveLimit=0
MinJobAge=300
# job ids (and so task/cgroup's job_<id> groups) distinct from another test cluster running at once
FirstJobId=$((1000 + RANDOM * 100))
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=llcslicetest Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    : >"$SLURM_DIR/plugstack.conf"
    export SLURM_CONF=$SLURM_DIR/slurm.conf

    slurmctld -D -i -f "$SLURM_CONF" >>"$SLURM_DIR/log/slurmctld.out" 2>&1 &
    SLURM_PIDS+=($!)
    slurmd -D -f "$SLURM_CONF" -N "$node" >>"$SLURM_DIR/log/slurmd.out" 2>&1 &
    SLURM_PIDS+=($!)

    # idle within a generous bound (the controller and the node register over TCP)
    local state=
    for _ in $(seq 600); do
        state=$(sinfo -h -N -n "$node" -o %T 2>/dev/null || true)
        [[ $state == idle ]] && break
        local p
        for p in "${SLURM_PIDS[@]}"; do
            kill -0 "$p" 2>/dev/null || slurm_fail "a Slurm daemon (pid $p) exited while starting"
        done
        sleep 0.5
    done
    [[ $state == idle ]] || slurm_fail "node $node is '$state', not idle, after 300 s"
}
