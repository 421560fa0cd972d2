#!/usr/bin/env bash
# plan --format qemu|libvirt on a simulated 8-node host (fixture 32amd64-4s2n4c-cgroup2): the
# qemu arguments carry -smp with one die per virtual LLC and, with nodes=2, memory backends
# bound to the host nodes of each guest node's CPUs; the libvirt fragment pins every vCPU to
# a distinct CPU, whole virtual LLCs on one host LLC, the emulator on the service CPU, and
# binds each cell's memory to its CPUs' node. Bad combinations are usage errors.
source "$(dirname "$0")/run_lib.sh"
[[ -n $FIX && -d $FIX/32amd64-4s2n4c-cgroup2 ]] || { echo "SKIP: fixtures not found"; exit 0; }
P=("$BIN" plan --fsroot "$FIX/32amd64-4s2n4c-cgroup2" --lock-dir "$L")

"$BIN" topo --fsroot "$FIX/32amd64-4s2n4c-cgroup2" --json >"$T/topo.json"

run_rc 64 "${P[@]}" --cpus 2 --format qemu
grep -q "give --perf" "$T/err" || fail "--format qemu without --perf: $(cat "$T/err")"
run_rc 64 "${P[@]}" --perf 2x2x1 --format xml
grep -q "want text, json, qemu or libvirt" "$T/err" || fail "--format xml: $(cat "$T/err")"
run_rc 64 "${P[@]}" --perf 2x2x1 --vm-memory 1G
run_rc 64 "${P[@]}" --perf 2x2x1 --format qemu --vm-memory 1.5M
for f in qemu libvirt; do # one MiB for two guest nodes: qemu refuses a size=0 backend
    run_rc 64 "${P[@]}" --perf 2x2x1,nodes=2 --format $f --vm-memory 1M
    one_line_error "give at least 2M"
    [[ ! -s $T/out ]] || fail "$f with --vm-memory 1M printed: $(cat "$T/out")"
done
ok "usage errors: qemu format without --perf, unknown format, --vm-memory misuse"

run_rc 0 "${P[@]}" --perf 2x2x1 --format qemu
[[ $(cat "$T/out") == "-smp 4,sockets=1,dies=2,cores=2,threads=1" ]] || fail "2x2x1 qemu: $(cat "$T/out")"
run_rc 0 "${P[@]}" --perf 2x2x1,nodes=2 --format qemu --vm-memory 2G
out=$(cat "$T/out")
[[ $out == "-smp 4,sockets=2,dies=1,cores=2,threads=1 -m 2048M "* ]] || fail "nodes=2 qemu: $out"
for g in 0 1; do
    [[ $out == *"-object memory-backend-ram,id=llcslice-mem$g,size=1024M,host-nodes="*",policy=bind -numa node,nodeid=$g,cpus=$((2 * g))-$((2 * g + 1)),memdev=llcslice-mem$g"* ]] ||
        fail "guest node $g: $out"
done
[[ $out == *"-numa dist,src=0,dst=1,val="* ]] || fail "no distances: $out"
ok "qemu format: -smp dies per LLC; nodes=2: -m, two bound backends, -numa node/dist"

run_rc 0 "${P[@]}" --perf 2x2x1,nodes=2 --format libvirt
python3 - "$T/out" "$T/topo.json" <<'PY' || fail "libvirt fragment: $(cat "$T/out")"
import json, sys, xml.etree.ElementTree as ET
frag = ET.fromstring("<domain>" + open(sys.argv[1]).read() + "</domain>")
topo = json.load(open(sys.argv[2]))
def cpus(v):
    out = set()
    for part in (v if isinstance(v, str) else ",".join(map(str, v))).split(","):
        if part:
            a, _, b = part.partition("-"); out.update(range(int(a), int(b or a) + 1))
    return out
llc_of = {c: l["index"] for l in topo["llcs"] for c in cpus(l["cpus"])}
node_of = {c: l["node"] for l in topo["llcs"] for c in cpus(l["cpus"])}
assert frag.find("vcpu").text == "4"
pins = {int(p.get("vcpu")): int(p.get("cpuset")) for p in frag.find("cputune").findall("vcpupin")}
assert sorted(pins) == [0, 1, 2, 3], pins
assert len(set(pins.values())) == 4, pins
assert llc_of[pins[0]] == llc_of[pins[1]] and llc_of[pins[2]] == llc_of[pins[3]], pins
assert llc_of[pins[0]] != llc_of[pins[2]], pins
svc = int(frag.find("cputune/emulatorpin").get("cpuset"))
assert svc not in pins.values(), svc
t = frag.find("cpu/topology").attrib
assert t == {"sockets": "2", "dies": "1", "cores": "2", "threads": "1"}, t
cells = frag.findall("cpu/numa/cell")
assert [c.get("cpus") for c in cells] == ["0-1", "2-3"], [c.attrib for c in cells]
memnodes = {int(m.get("cellid")): int(m.get("nodeset")) for m in frag.findall("numatune/memnode")}
for g, first in ((0, 0), (1, 2)):
    assert memnodes[g] == node_of[pins[first]] == node_of[pins[first + 1]], (g, memnodes, pins)
assert cpus(frag.find("numatune/memory").get("nodeset")) == set(memnodes.values())
PY
ok "libvirt format: 4 distinct vcpupins, LLC-whole, emulatorpin on the service CPU, memnodes on the cells' nodes"
