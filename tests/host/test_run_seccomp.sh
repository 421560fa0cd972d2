#!/usr/bin/env bash
# --seccomp with the real binary: inside the job the build profile's syscalls fail with EPERM
# while the job otherwise runs normally; log allows them; --seccomp-deny adds names;
# no_new_privs only without CAP_SYS_ADMIN.
source "$(dirname "$0")/run_lib.sh"

[[ $(uname -m) == x86_64 ]] || { echo "SKIP: syscall numbers below are x86_64's"; exit 0; }
# errno of raw syscalls (x86_64 numbers) and a bit of ordinary work, from inside the job
probe='
for c in swapoff:168 sethostname:170 acct:163 umount2:166 getcwd:79; do
  perl -e '"'"'my ($n, $nr) = split /:/, $ARGV[0]; my $buf = "x" x 256;
    my $arg = $n eq "sethostname" ? `hostname` : $n eq "getcwd" ? $buf : "/nonexistent/llcslice";
    chomp $arg; my $len = $n eq "umount2" ? 0 : length $arg;
    $! = 0; my $r = syscall($nr, $arg, $len); print "$n=", ($r < 0 ? $!+0 : 0), "\n"'"'"' "$c"
done
echo "work=$(seq 1000 | sort -n | tail -1)"
grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status | tr -d "\t " | tr : =
'
field() { sed -n "s/^$1=//p" "$T/out"; }

run_rc 0 "$BIN" run --lock-dir "$L" --cpus 1 -- sh -c "$probe"
[[ $(field Seccomp) == 0 ]] || fail "a filter without --seccomp: $(cat "$T/out")"
if [[ $(id -u) -eq 0 ]]; then
    [[ $(field swapoff) == 2 && $(field acct) == 2 && $(field umount2) == 2 ]] ||
        fail "control run: want ENOENT from the unfiltered calls: $(cat "$T/out")"
fi
ok "no --seccomp: no filter$([[ $(id -u) -eq 0 ]] && echo ", swapoff/acct/umount2 fail with ENOENT as root")"

run_rc 0 "$BIN" run --lock-dir "$L" --cpus 1 --seccomp build -- sh -c "$probe"
for c in swapoff sethostname acct umount2; do
    [[ $(field $c) == 1 ]] || fail "build profile: $c gave errno $(field $c), want EPERM: $(cat "$T/out")"
done
[[ $(field getcwd) == 0 && $(field work) == 1000 ]] || fail "build profile broke ordinary work: $(cat "$T/out")"
[[ $(field Seccomp) == 2 ]] || fail "Seccomp mode: $(cat "$T/out")"
want_nnp=1
[[ $(id -u) -eq 0 ]] && want_nnp=0
[[ $(field NoNewPrivs) == $want_nnp ]] || fail "NoNewPrivs $(field NoNewPrivs), want $want_nnp"
ok "--seccomp build: swapoff, sethostname, acct, umount2 -> EPERM; the job runs normally; NoNewPrivs $want_nnp"

run_rc 0 "$BIN" run --lock-dir "$L" --cpus 1 --seccomp log --seccomp-deny getcwd -- sh -c "$probe"
[[ $(field getcwd) == 1 ]] || fail "--seccomp-deny getcwd: $(cat "$T/out")"
if [[ $(id -u) -eq 0 ]]; then
    [[ $(field swapoff) == 2 ]] || fail "log profile must allow swapoff: $(cat "$T/out")"
fi
ok "--seccomp log allows (logs) the profile's calls; --seccomp-deny getcwd -> EPERM"

if can_drop_privs; then
    run_rc 0 "${NOBODY[@]}" "$BIN" run --lock-dir "$L" --cpus 1 --seccomp build -- sh -c "$probe"
    [[ $(field NoNewPrivs) == 1 && $(field swapoff) == 1 ]] || fail "unprivileged: $(cat "$T/out")"
    ok "unprivileged --seccomp build: no_new_privs set, filter installed"
fi

# A denied call in a real tool: the error is the kernel's EPERM, the job carries on.
run_rc 0 "$BIN" run --lock-dir "$L" --cpus 1 --seccomp build -- sh -c 'swapoff /nonexistent 2>&1; echo carried on'
grep -q "carried on" "$T/out" || fail "job stopped: $(cat "$T/out")"
ok "swapoff(8) under the build profile: $(head -1 "$T/out")"
