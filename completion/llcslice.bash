# bash completion for llcslice. Options come from 'llcslice COMMAND --help', so every option
# the installed binary has is offered, and nothing it lacks.
_llcslice() {
    local cur prev cmd words cword
    _init_completion -s 2>/dev/null || {
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
    }
    local commands="run plan topo locks slots sweep pin help"
    cmd=${COMP_WORDS[1]:-}
    if ((COMP_CWORD == 1)); then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    # after "run ... --" the rest is the job's command line
    local i
    for ((i = 2; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == -- ]]; then
            COMPREPLY=($(compgen -c -- "$cur"))
            return
        fi
    done
    case $cmd in
    help)
        COMPREPLY=($(compgen -W "${commands% help}" -- "$cur"))
        return
        ;;
    run | plan | topo | locks | slots | sweep | pin) ;;
    *) return ;;
    esac
    case $prev in
    --mode) COMPREPLY=($(compgen -W "shared dedicated exclusive" -- "$cur")); return ;;
    --seccomp) COMPREPLY=($(compgen -W "build log none" -- "$cur")); return ;;
    --memory-max) COMPREPLY=($(compgen -W "max" -- "$cur")); return ;;
    --wait) COMPREPLY=($(compgen -W "forever 30s 5m 30m 1h" -- "$cur")); return ;;
    --smt) COMPREPLY=($(compgen -W "any full-cores" -- "$cur")); return ;;
    --format) COMPREPLY=($(compgen -W "text json qemu libvirt" -- "$cur")); return ;;
    --cgroup-manager) COMPREPLY=($(compgen -W "auto systemd cgroupfs" -- "$cur")); return ;;
    --vmm) COMPREPLY=($(compgen -W "qemu" -- "$cur")); return ;;
    --qmp | --plan) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --lock-dir | --log-dir | --fsroot | --cgroup-parent)
        COMPREPLY=($(compgen -d -- "$cur"))
        return
        ;;
    --cpus | --cpu-cap | --perf | --lock-prefix | --allowed-cpus | --watch | --max-age | \
        --kill-after | --seccomp-deny | --timeout | --vm-memory | --vmm-timeout | --slice)
        return
        ;;
    esac
    if [[ $cur == -* ]]; then
        local opts
        opts=$("${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null |
            grep -oE -- '(^|[ ,[])--[a-z][a-z-]*' | grep -oE -- '--[a-z-]+' | sort -u)
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    if [[ $cmd == slots ]]; then
        COMPREPLY=($(compgen -f -X '!*.@(yaml|yml)' -- "$cur") $(compgen -d -- "$cur"))
    fi
}
complete -F _llcslice llcslice
