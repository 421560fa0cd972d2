#!/usr/bin/env bash
# The slots live table in a real terminal (tmux): at 80 columns no line wraps (the footer
# included) and each refresh redraws in place (one header on screen, however many ticks);
# after a resize to 60 columns (SIGWINCH) the same holds at the new width.
source "$(dirname "$0")/run_lib.sh"
command -v tmux >/dev/null || { echo "ok # skip tmux missing"; exit 0; }
HOST=${FIX:?}/32em64t-2n8c+dax+nvme+mic+dimms
touch "$T/gate"
{
    echo "version: 1"
    echo "jobs:"
    for i in 1 2 3 4 5; do
        echo "  - name: job-with-a-longer-name-$i"
        echo "    command: \"while [ -e $T/gate ]; do sleep 0.1; done\""
        echo "    cpus: 1"
    done
    echo "  - name: after-them"
    echo "    command: [true]"
    echo "    after: [job-with-a-longer-name-1]"
} >"$T/t.yaml"
mkdir -m 0700 "$T/logs"
SOCK=$T/tmux.sock
tmux -S "$SOCK" new-session -d -x 80 -y 30 \
    "'$BIN' slots '$T/t.yaml' --fsroot '$HOST' --lock-dir '$L' --log-dir '$T/logs'; echo rc=\$?; sleep 600"
PIDS+=($(tmux -S "$SOCK" display -p '#{pane_pid}'))
screen() { tmux -S "$SOCK" capture-pane -p >"$T/screen"; }
# until: wait (bound: 2 minutes) for a grep pattern on screen
until_screen() {
    for _ in $(seq 1200); do
        screen
        grep -q -- "$1" "$T/screen" && return
        sleep 0.1
    done
    fail "never on screen: '$1': $(cat "$T/screen")"
}
check_table() { # WIDTH
    [[ $(grep -c "^JOB " "$T/screen") -eq 1 ]] || fail "header lines left over: $(cat "$T/screen")"
    # from the header down: the intro line above is printed once, never redrawn
    awk -v w="$1" '/^JOB / { t = 1 } t && length > w - 1 { exit 1 }' "$T/screen" || fail "a line reaches column $1: $(cat "$T/screen")"
    grep -q "^5 running, 1 pending" "$T/screen" || fail "no footer: $(cat "$T/screen")"
}
until_screen "^5 running"
sleep 3 # several 1 s refreshes
screen
check_table 80
ok "80 columns: one header after several refreshes, no line wraps"

tmux -S "$SOCK" resize-window -x 60 -y 30
for _ in $(seq 1200); do
    screen
    awk '/^JOB / { t = 1 } t && length > 59 { exit 1 }' "$T/screen" && [[ $(grep -c "^JOB " "$T/screen") -eq 1 ]] && break
    sleep 0.1
done
sleep 2
screen
check_table 60
ok "resized to 60 columns: redrawn at the new width, one header"

rm "$T/gate"
until_screen "^rc="
grep -q "^rc=0" "$T/screen" || fail "slots failed: $(cat "$T/screen")"
grep -q "6 jobs: 6 done" "$T/screen" || fail "no summary: $(cat "$T/screen")"
tmux -S "$SOCK" kill-server
ok "the summary follows the table"
