#!/usr/bin/env bash
# A reservation lives exactly as long as its job (issue #13), on this host's real cgroups and
# real flocks: standard descriptors closed at start, ...
source "$(dirname "$0")/run_lib.sh"
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 0; }

# --- fds 0-2 closed at start: /dev/null takes them, not a lockfile or the wait file --------
rc=0
"$BIN" run -v --lock-dir "$L" --mode dedicated --cpus 1 -- \
    sh -c "readlink /proc/self/fd/2 >$T/fd2; readlink /proc/self/fd/0 >$T/fd0" 0<&- 2>&- || rc=$?
[[ $rc -eq 0 ]] || fail "run with stdin and stderr closed exited $rc; $("$BIN" run -v --lock-dir "$L" --mode dedicated --cpus 1 -- true 2>&1 0<&-)"
[[ $(cat "$T/fd2") == /dev/null ]] || fail "the job's stderr is '$(cat "$T/fd2")', want /dev/null"
[[ $(cat "$T/fd0") == /dev/null ]] || fail "the job's stdin is '$(cat "$T/fd0")', want /dev/null"
for f in "$L"/*; do
    [[ ! -s $f ]] || fail "$f got text written into it: $(head -c 200 "$f")"
done
ok "started with stdin and stderr closed: the job sees /dev/null there, no lockfile was written to"
