#!/usr/bin/env bash
# Hostile lock dirs and lockfiles, with the real binary (docs/SECURITY.md): a read-only bind
# mount, a lock dir that is another user's symlink or directory, a lockfile that is a symlink
# (or hard link) to a file an attacker wants clobbered, a FIFO, a 0600 lockfile of another
# user, a full filesystem (ENOSPC) for the lockfiles and for the plan file. Each fails with one
# clear line, runs nothing, holds no lock afterwards and leaves the victim file untouched.
source "$(dirname "$0")/fault_lib.sh"
fault_private_mounts "$@"
source "$(dirname "$0")/run_lib.sh"
fault_trap
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (chown, mounts, setpriv)"; exit 0; }
OTHER=4242 # a uid with no account: "another user"
M=$T/ran
U=()
can_drop_privs && U=("${NOBODY[@]}")
export LLCSLICE_CPU_CAP=1

# ---- read-only bind mount of a lock dir in use
if [[ $FAULT_NS == 1 ]]; then
    mkdir -m 1777 "$T/ro"
    fault_mount --bind "$L" "$T/ro"
    mount -o remount,bind,ro "$T/ro"
    setsid flock -o -s "$L/llcslice-llc-0.lock" sleep 300 &
    PIDS+=($!)
    wait_until 'grep -q "FLOCK .* $! " /proc/locks'
    run_rc 64 "$BIN" run --lock-dir "$T/ro" -- touch "$M"
    one_line_error "read-only filesystem"
    [[ ! -e $M ]] || fail "ro: the job ran"
    msg=$(cut -c1-90 "$T/err")
    # Observers still work there, and see the holder through the other mount of the same inode.
    held=$("$BIN" locks --lock-dir "$T/ro" --json | jq '.llcs[0].holders | length')
    [[ $held -eq 1 ]] || fail "ro: locks sees $held holders of llc-0, want 1"
    run_rc 0 "$BIN" plan --lock-dir "$T/ro" --json
    kill -- "-${PIDS[-1]}" 2>/dev/null || kill "${PIDS[-1]}"
    wait "${PIDS[-1]}" 2>/dev/null || true
    ok "read-only bind mount: run -> 64 ($msg...), locks/plan still observe it"
else
    echo "ok - SKIP read-only bind mount (no private mount namespace)"
fi

# ---- the lock dir is a symlink
ln -s "$L" "$T/root-link"
run_rc 0 "$BIN" run --lock-dir "$T/root-link" -- touch "$M"
[[ -e $M && -e $L/llcslice-llc-0.lock ]] || fail "root's link not followed"
rm -f "$M"
ok "a lock dir that is root's own symlink is followed (like /var/lock -> /run/lock)"

ln -s "$L" "$T/team-locks"
chown -h "$OTHER" "$T/team-locks"
rm -f "$L"/*.lock
run_rc 64 "$BIN" run --lock-dir "$T/team-locks" -- touch "$M"
failed_cleanly 64 "symlink owned by uid $OTHER" "$M"
grep -qF "handed out twice" "$T/err" || fail "the refusal does not say why: $(cat "$T/err")"
[[ -z $(ls -A "$L") ]] || fail "lockfiles created through another user's link: $(ls "$L")"
ok "a lock dir that is another user's symlink is refused: $(cut -c1-110 "$T/err")..."

if ((${#U[@]})); then
    # The same link, created by nobody in a sticky dir and used by nobody itself: its own, fine.
    "${U[@]}" ln -s "$L" "$T/nobody-link"
    run_rc 0 "${U[@]}" "$BIN" run --lock-dir "$T/nobody-link" -- true
    # But root does not follow nobody's link.
    run_rc 64 "$BIN" run --lock-dir "$T/nobody-link" -- touch "$M"
    failed_cleanly 64 "symlink owned by uid 65534" "$M"
    ok "nobody's own link works for nobody, is refused for root"
fi

mkdir -m 1777 "$T/theirs"
chown "$OTHER" "$T/theirs"
run_rc 64 "$BIN" run --lock-dir "$T/theirs" -- touch "$M"
failed_cleanly 64 "owned by uid $OTHER" "$M"
mkdir -m 0777 "$T/open"
chmod 0777 "$T/open"
run_rc 64 "$BIN" run --lock-dir "$T/open" -- touch "$M"
failed_cleanly 64 "without the sticky bit" "$M"
run_rc 0 "$BIN" locks --lock-dir "$T/theirs"
ok "another user's dir and a world-writable non-sticky dir are refused for run, fine for locks"

# ---- a lockfile that is a symlink to a file the attacker wants clobbered
echo "precious" >"$T/victim"
chmod 0600 "$T/victim"
before=$(fingerprint "$T/victim")
for name in llcslice-llc-0.lock llcslice-cpu-0.lock; do
    rm -f "$L"/*.lock
    if ((${#U[@]})); then "${U[@]}" ln -s "$T/victim" "$L/$name"; else ln -s "$T/victim" "$L/$name"; fi
    for who in root nobody; do
        [[ $who == nobody && ${#U[@]} -eq 0 ]] && continue
        pre=(); [[ $who == nobody ]] && pre=("${U[@]}")
        run_rc 125 "${pre[@]}" "$BIN" run --lock-dir "$L" --mode dedicated --allowed-cpus 0 -- touch "$M"
        failed_cleanly 125 "is a symlink; refusing to follow it" "$M"
        [[ $(fingerprint "$T/victim") == "$before" ]] || fail "$who: victim changed through $name"
    done
done
ok "symlinked llc/cpu lockfiles: refused as root and nobody, victim untouched ($before)"

rm -f "$L"/*.lock
ln -s "$T/nonexistent/pwned" "$L/llcslice-llc-0.lock"
run_rc 125 "$BIN" run --lock-dir "$L" -- touch "$M"
failed_cleanly 125 "symlink" "$M"
[[ ! -e $T/nonexistent ]] || fail "a dangling link's target was created"
rm -f "$L"/*.lock
ln "$T/victim" "$L/llcslice-llc-0.lock"
run_rc 125 "$BIN" run --lock-dir "$L" -- touch "$M"
failed_cleanly 125 "hard links" "$M"
[[ $(fingerprint "$T/victim") == "$before" ]] || fail "victim changed through a hard link"
rm -f "$L"/*.lock
mkfifo -m 0666 "$L/llcslice-llc-0.lock"
run_rc 125 timeout 300 "$BIN" run --lock-dir "$L" -- touch "$M" # a hang guard, not a speed limit
failed_cleanly 125 "FIFO" "$M"
rm -f "$L"/*.lock
ok "dangling symlink (target not created), hard link (victim untouched), FIFO (no hang): refused"

# ---- a 0600 lockfile owned by another user
install -m 0600 -o "$OTHER" /dev/null "$L/llcslice-llc-0.lock"
before=$(fingerprint "$L/llcslice-llc-0.lock")
if ((${#U[@]})); then
    run_rc 125 "${U[@]}" "$BIN" run --lock-dir "$L" -- touch "$M"
    failed_cleanly 125 "mode 0600, owner uid $OTHER" "$M"
    grep -qF "chmod 0666" "$T/err" || fail "no remedy in: $(cat "$T/err")"
fi
run_rc 0 "$BIN" run --lock-dir "$L" -- true # root may open it; it must stay as it was
[[ $(fingerprint "$L/llcslice-llc-0.lock") == "$before" ]] || fail "root changed the 0600 lockfile"
ok "another user's 0600 lockfile: nobody gets one line with the remedy, root uses it unchanged"
rm -f "$L"/*.lock

# ---- the hardened setup (docs/SECURITY.md): a root-owned sticky dir whose lockfiles root
# created beforehand, so no other user can delete or replace one while it is held.
H=$T/hardened
mkdir -m 1777 "$H"
ncpu=$(nproc)
for i in $(seq 0 $((ncpu - 1))); do install -m 0666 /dev/null "$H/llcslice-cpu-$i.lock"; done
install -m 0666 /dev/null "$H/llcslice-llc-0.lock"
if ((${#U[@]})); then
    run_rc 0 "${U[@]}" "$BIN" run --lock-dir "$H" --mode dedicated --cpus 1 -- true
    "${U[@]}" rm -f "$H/llcslice-cpu-0.lock" 2>/dev/null || true
    "${U[@]}" mv -f "$H/llcslice-llc-0.lock" "$H/x" 2>/dev/null || true
    [[ -f $H/llcslice-cpu-0.lock && -f $H/llcslice-llc-0.lock ]] ||
        fail "nobody removed a root-created lockfile from the sticky dir"
    [[ $(stat -c %u "$H/llcslice-cpu-0.lock") == 0 ]] || fail "the lockfile changed owner"
    ok "root-owned sticky dir with root-created 0666 lockfiles: nobody locks them, cannot remove them"
fi

# ---- ENOSPC: no inode left for a lockfile, then none for the second of three
if [[ $FAULT_NS == 1 ]]; then
    F=$T/full
    mkdir "$F"
    fault_mount -t tmpfs -o size=64k,nr_inodes=8,mode=1777 llcslice-full "$F"
    fill_inodes() { local i=0; while touch "$F/filler-$i" 2>/dev/null; do i=$((i + 1)); done; }
    fill_inodes
    run_rc 125 "$BIN" run --lock-dir "$F" -- touch "$M"
    L=$F failed_cleanly 125 "No space left on device" "$M"
    rm "$F/filler-0"
    run_rc 125 "$BIN" run --lock-dir "$F" --mode dedicated --cpus 2 --allowed-cpus 0-1 -- touch "$M"
    L=$F failed_cleanly 125 "No space left on device" "$M"
    ok "ENOSPC creating lockfiles: $(cat "$T/err")"

    # ENOSPC for the exclusive plan file (after the cgroup was made): the group goes too.
    rm -f "$F"/*.lock
    fill_inodes
    run_rc_pid 125 env TMPDIR="$F" "$BIN" run --lock-dir "$L" --mode exclusive --cpus 1 -- touch "$M"
    failed_cleanly 125 "plan file" "$M"
    [[ -z $(groups_of "$LAST") ]] || fail "the plan-file failure left its cgroup: $(groups_of "$LAST")"
    # ... and with an inode but no space for its content.
    rm -f "$F"/filler-*
    head -c 1M /dev/zero >"$F/fill" 2>/dev/null || true
    run_rc_pid 125 env TMPDIR="$F" "$BIN" run --lock-dir "$L" --mode exclusive --cpus 1 -- touch "$M"
    failed_cleanly 125 "No space left on device" "$M"
    [[ -z $(find "$F" -name 'llcslice-plan-*') ]] || fail "a partial plan file was left"
    [[ -z $(groups_of "$LAST") ]] || fail "the plan-file failure left its cgroup: $(groups_of "$LAST")"
    ok "ENOSPC for the plan file (no inode; no space): one line, nothing left"
else
    echo "ok - SKIP ENOSPC (no private mount namespace)"
fi
echo "all lock dir faults passed"
