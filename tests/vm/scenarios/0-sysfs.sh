# Scenario 0: the guest really has the topology qemu was asked for (CPUs, LLC domains by
# shared_cpu_list, NUMA nodes and distances), then `llcslice topo --json` agrees with it.
. /vm/lib.sh
scenario_begin 0-sysfs

got=$(online_cpus)
cpus_eq "$got" "$EXPECT_CPUS" || fail "online CPUs $got, asked for $EXPECT_CPUS"

# LLC domains, by index (= lowest CPU order)
got=$(awk '{ print $2, $4 }' $VM_RUN/cpus.tab | sort -un | awk '{ printf "%s%s", sep, $2; sep = " " }')
want=$(for l in $EXPECT_LLCS; do cpus_norm "$l"; done | tr '\n' ' ' | sed 's/ $//')
[ "$got" = "$want" ] || fail "LLC domains (shared_cpu_list) are '$got', asked for '$want'"

# the LLC cache's id file: shared by the domain's CPUs or (qemu's AMD path) one per CPU
ids=shared
[ "$(awk '{ print $2, $5 }' $VM_RUN/cpus.tab | sort -u | wc -l)" -eq "$(nllcs)" ] || ids=differ
[ "$ids" = "$EXPECT_LLC_IDS" ] || fail "LLC cache ids are '$ids' across each domain's CPUs, expected '$EXPECT_LLC_IDS'"

# NUMA nodes and distances, by node id
nodes=$(cat $VM_RUN/nodes)
got="" dist=""
for n in $nodes; do
    got="$got $(cpus_norm "$(cat /sys/devices/system/node/node$n/cpulist)")"
    dist="$dist;$(cat /sys/devices/system/node/node$n/distance)"
done
got=${got# } dist=${dist#;}
want=$(for l in $EXPECT_NODES; do cpus_norm "$l"; done | tr '\n' ' ' | sed 's/ $//')
[ "$got" = "$want" ] || fail "NUMA nodes' CPUs are '$got', asked for '$want'"
[ "$dist" = "$EXPECT_DIST" ] || fail "NUMA distances are '$dist', asked for '$EXPECT_DIST'"

result "$SCEN" PASS "cpus=$(online_cpus) llcs=[$(echo $EXPECT_LLCS | tr ' ' '|')] llc-ids=$ids nodes=[$(echo $want | tr ' ' '|')] dist=[$dist]"

# ---- llcslice topo --json must see the same partition ----
SCEN=0-topo T0=$(now)
ls_run topo topo --json
[ "$RC" = 0 ] || fail "llcslice topo --json exited $RC: $(err_of topo)"
jq -e . "$W/topo.out" >/dev/null 2>&1 || fail "llcslice topo --json printed no valid JSON"
v=$(jq -r "$JQ_CPUS .online_cpus | cpus" "$W/topo.out")
cpus_eq "$v" "$EXPECT_CPUS" || fail "topo: online_cpus $v, sysfs says $EXPECT_CPUS"
v=$(jq -r "$JQ_CPUS .allowed_cpus | cpus" "$W/topo.out")
cpus_eq "$v" "$EXPECT_CPUS" || fail "topo: allowed_cpus $v, the test shell may use $EXPECT_CPUS"
# LLCs: same domains under the same indices, each on its CPUs' majority node
jq -r "$JQ_CPUS .llcs | sort_by(.index)[] | \"\(.index) \(.cpus | cpus) \(.node)\"" "$W/topo.out" >"$W/topo.llcs" ||
    fail "topo: llcs[] lacks index/cpus/node"
i=0
for l in $EXPECT_LLCS; do
    line=$(sed -n "$((i + 1))p" "$W/topo.llcs")
    set -- $line
    [ "$1" = "$i" ] && cpus_eq "$2" "$l" || fail "topo: LLC $i is '$line', sysfs says CPUs $l"
    [ "$3" = "$(nodes_of "$(cpus_list "$l" | head -n 1)")" ] || fail "topo: LLC $i on node $3, sysfs puts CPU $(cpus_list "$l" | head -n 1) on node $(nodes_of "$(cpus_list "$l" | head -n 1)")"
    i=$((i + 1))
done
[ "$(wc -l <"$W/topo.llcs")" -eq $i ] || fail "topo: $(wc -l <"$W/topo.llcs") LLCs, sysfs shows $i (grouping by cache id instead of shared_cpu_list?)"
# nodes: CPUs and distance rows
got=$(jq -r "$JQ_CPUS .nodes | sort_by(.id)[] | .cpus | cpus" "$W/topo.out" | while read -r l; do cpus_norm "$l"; done | tr '\n' ' ' | sed 's/ $//')
want=$(for l in $EXPECT_NODES; do cpus_norm "$l"; done | tr '\n' ' ' | sed 's/ $//')
[ "$got" = "$want" ] || fail "topo: nodes' CPUs '$got', sysfs says '$want'"
got=$(jq -r '.nodes | sort_by(.id) | map(.distances | map(tostring) | join(" ")) | join(";")' "$W/topo.out")
[ "$got" = "$EXPECT_DIST" ] || fail "topo: distances '$got', sysfs says '$EXPECT_DIST'"
pass "llcslice topo --json agrees: $(wc -l <"$W/topo.llcs") LLCs, nodes '$want', distances '$got'"
