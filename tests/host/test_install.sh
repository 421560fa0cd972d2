#!/usr/bin/env bash
# `cmake --install` puts everything a user needs in place: the binary, a man page per command
# and for the slot-file format (built from doc/*.scd with scdoc), bash and zsh completion, the
# examples, the docs and a tmpfiles.d file for the hardened lock dir; `man llcslice-run` finds
# its page there. The completion offers the commands and each command's options.
source "$(dirname "$0")/run_lib.sh"
BUILD=${LLCSLICE_BUILD:?run through ctest}
SRC=${LLCSLICE_SRC:?}
P=$T/prefix
cmake --install "$BUILD" --prefix "$P" >"$T/install.log" 2>&1 || fail "install: $(cat "$T/install.log")"
for f in bin/llcslice lib/tmpfiles.d/llcslice.conf share/bash-completion/completions/llcslice \
    share/zsh/site-functions/_llcslice share/doc/llcslice/examples/kernel-builds.yaml \
    share/doc/llcslice/README.md share/doc/llcslice/SECURITY.md share/doc/llcslice/slots.md \
    share/man/man5/llcslice-slots.yaml.5 share/man/man1/llcslice.1; do
    [[ -e $P/$f ]] || fail "not installed: $f"
done
for c in run plan topo locks slots sweep pin; do
    [[ -s $P/share/man/man1/llcslice-$c.1 ]] || fail "no man page for $c"
done
ok "binary, man pages, completion, examples, docs and tmpfiles.d installed"

"$P/bin/llcslice" --version | grep -q "^llcslice " || fail "installed binary does not run"
grep -q "^d /run/llcslice 1777 root root" "$P/lib/tmpfiles.d/llcslice.conf" || fail "tmpfiles line"
if command -v man >/dev/null; then
    MANPATH=$P/share/man man -w llcslice-run | grep -q "$P/share/man/man1/llcslice-run.1" ||
        fail "man -w llcslice-run: $(MANPATH=$P/share/man man -w llcslice-run 2>&1)"
    MANWIDTH=80 MANPATH=$P/share/man man llcslice-run 2>/dev/null | grep -q -- "--memory-max" ||
        fail "man llcslice-run does not render"
    MANWIDTH=80 MANPATH=$P/share/man man 5 llcslice-slots.yaml 2>/dev/null | grep -q "max_jobs" ||
        fail "man 5 llcslice-slots.yaml does not render"
    ok "man llcslice-run and man 5 llcslice-slots.yaml"
fi

# Every LLCSLICE_* variable the code reads (getenv) or gives the job appears in the
# ENVIRONMENT section of llcslice(1).
vars=$(grep -rhoE 'getenv\("LLCSLICE_[A-Z0-9_]+"\)' "$SRC"/supervisor "$SRC"/planner "$SRC"/cgroup "$SRC"/configs |
    grep -oE 'LLCSLICE_[A-Z0-9_]+' | sort -u)
vars="$vars LLCSLICE_CPUS LLCSLICE_NCPUS LLCSLICE_MEMS LLCSLICE_PLAN"
envsec=$(sed -n '/^# ENVIRONMENT/,/^# FILES/p' "$SRC/doc/llcslice.1.scd")
for v in $vars; do
    grep -q "\*$v\*" <<<"$envsec" || fail "$v is not in llcslice(1)'s ENVIRONMENT section"
done
ok "ENVIRONMENT lists every LLCSLICE_* variable: $(echo $vars)"

# bash completion: commands, options from --help, values
comp() { # WORDS...: the completions for the last word
    (
        # shellcheck disable=SC1091
        source "$P/share/bash-completion/completions/llcslice"
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_WORDS[0]=$P/bin/llcslice
        _llcslice
        printf '%s\n' "${COMPREPLY[@]}"
    )
}
[[ $(comp llcslice t) == topo ]] || fail "command completion: $(comp llcslice t)"
comp llcslice run --me | grep -qx -- --memory-max || fail "run option completion: $(comp llcslice run --me)"
comp llcslice slots --ch | grep -qx -- --check || fail "slots option completion"
[[ $(comp llcslice run --mode d) == dedicated ]] || fail "value completion: $(comp llcslice run --mode d)"
[[ $(comp llcslice help sl) == slots ]] || fail "help completion"
[[ $(comp llcslice pi) == pin ]] || fail "pin command completion: $(comp llcslice pi)"
comp llcslice pin --q | grep -qx -- --qmp || fail "pin option completion: $(comp llcslice pin --q)"
[[ $(comp llcslice plan --format l) == libvirt ]] || fail "--format completion"
[[ $(comp llcslice run --smt f) == full-cores ]] || fail "--smt completion"
ok "bash completion: commands, options, values"
if command -v zsh >/dev/null; then
    zsh -n "$P/share/zsh/site-functions/_llcslice" || fail "zsh completion does not parse"
fi

# No dangling references: every relative link and every *.md named in the docs exists.
for doc in "$SRC"/README.md "$SRC"/configs/README.md "$SRC"/docs/*.md; do
    dir=$(dirname "$doc")
    for ref in $(grep -oE '\]\([^)#:]+\)' "$doc" | sed 's/^](//; s/)$//'); do
        [[ -e $dir/$ref ]] || fail "$doc links to missing $ref"
    done
    for md in $(grep -oE '\b[A-Z][A-Z_]+\.md\b' "$doc" | sort -u); do
        [[ -e $dir/$md || -e $SRC/$md || -e $SRC/docs/$md || -e $SRC/bench/$md ]] ||
            fail "$doc refers to $md, which the repository does not have"
    done
done
ok "no dangling references in the docs"
