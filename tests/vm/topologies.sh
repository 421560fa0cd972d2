# VM topologies of the end-to-end suite. Sourced by run.sh (bash, on the host: the qemu
# arguments) and by the guest (busybox sh: what sysfs must show, where the tests run).
# topo_NAME sets:
#   QEMU_TOPO       qemu -cpu/-smp/-m/-numa/-object arguments
#   EXPECT_CPUS     online CPUs
#   EXPECT_LLCS     the LLC domains (each CPU's last-level cache shared_cpu_list), by lowest CPU
#   EXPECT_LLC_IDS  "shared": the LLC's cache/indexN/id is the same on all its CPUs; "differ":
#                   qemu gives every CPU its own id (readers must group by shared_cpu_list)
#   EXPECT_NODES    each NUMA node's cpulist, by node id
#   EXPECT_DIST     the distance rows, ';'-separated, by node id
#   GUEST_CGROUP    cgroup the guest's test shell (and so llcslice) runs from

# A: 16 vCPUs, 2 sockets x 2 dies x 4 cores, 2 NUMA nodes at distance 20. With an Intel vendor
# qemu describes one L3 per die (CPUID leaf 4): 4 LLCs. Run from a non-root cgroup.
topo_A() {
    QEMU_TOPO="-cpu qemu64,vendor=GenuineIntel -smp 16,sockets=2,dies=2,cores=4,threads=1 -m 1G
        -object memory-backend-ram,id=m0,size=512M -object memory-backend-ram,id=m1,size=512M
        -numa node,nodeid=0,cpus=0-7,memdev=m0 -numa node,nodeid=1,cpus=8-15,memdev=m1
        -numa dist,src=0,dst=1,val=20"
    EXPECT_CPUS="0-15"
    EXPECT_LLCS="0-3 4-7 8-11 12-15"
    EXPECT_LLC_IDS=shared
    EXPECT_NODES="0-7 8-15"
    EXPECT_DIST="10 20;20 10"
    GUEST_CGROUP=/ci/runner
}

# B: 8 vCPUs, one socket, one node, one LLC. qemu64's AMD vendor gives each CPU its own L3 id
# although shared_cpu_list says all 8 share it: a test of our reader. Run from the root cgroup.
topo_B() {
    QEMU_TOPO="-cpu qemu64 -smp 8,sockets=1,cores=8,threads=1 -m 1G"
    EXPECT_CPUS="0-7"
    EXPECT_LLCS="0-7"
    EXPECT_LLC_IDS=differ
    EXPECT_NODES="0-7"
    EXPECT_DIST="10"
    GUEST_CGROUP=/
}

ALL_TOPOLOGIES="A B"
