#!/usr/bin/env bash
# valgrind-wrap.sh LOGDIR BINARY ARGS...: BINARY under memcheck, same pid (exec), stdout and
# stderr untouched. The valgrind pass (cmake -DLLCSLICE_VALGRIND=ON) generates
# BUILD/llcslice-valgrind calling this and makes it LLCSLICE_BIN (fixed paths: some tests
# scrub LLCSLICE_* from the environment). Every process writes LOGDIR/PID.log; -q keeps it
# empty unless there is a memory error or a definite/indirect leak, which also turns the exit
# code into 99. host/valgrind_logs fails the run if any log is non-empty.
logs=${1:?log dir} bin=${2:?binary}
shift 2
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --trace-children=no \
    --log-file="$logs/%p.log" "$bin" "$@"
