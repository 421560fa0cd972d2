/* supervisor/vmm: the guest layout a performance plan fixes, the qemu arguments built from it
 * (-smp, -numa with bound memory backends, -qmp), conflicts in the user's arguments, the
 * libvirt fragment, and query-cpus-fast replies as qemu sends them. */
#include "plan_testlib.h"

#include "supervisor/vmm/layout.h"
#include "supervisor/vmm/planread.h"
#include "supervisor/vmm/qemu_args.h"
#include "supervisor/vmm/qmp.h"

/* Topology A of the VM suite: 4 LLCs of 4 CPUs, LLCs 0-1 on node 0, 2-3 on node 1. */
static void plan_a(const char *perf_text, struct ls_topology *t, struct ls_request *req,
                   struct ls_plan *plan)
{
    struct ls_error err = {0};
    topo_uniform(t, 4, 4, 2);
    ls_request_init(req);
    req->pid = 1;
    assert_int_equal(ls_perf_parse(perf_text, &req->perf, &err), 0);
    req->has_perf = true;
    req->mode = LS_MODE_EXCLUSIVE;
    req->vcpus = (size_t)req->perf.llcs * req->perf.cores * req->perf.threads;
    if (ls_plan_compute(t, &t->online, NULL, req, plan, &err) < 0)
        fail_msg("plan: %s", err.msg);
}

static char *joined(char **v)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    for (size_t i = 0; v[i]; i++)
        fprintf(f, "%s%s", i ? " " : "", v[i]);
    fclose(f);
    return s;
}

static void test_smp_dies_per_llc(void **state)
{
    (void)state;
    struct ls_topology t;
    struct ls_request req;
    struct ls_plan plan;
    struct ls_error err = {0};
    plan_a("2x2x1", &t, &req, &plan);
    struct ls_vm_layout l;
    assert_int_equal(ls_vm_layout_build(&l, &req.perf, &plan, &t, &err), 0);
    assert_int_equal(l.nvcpus, 4);
    assert_int_equal(l.nnodes, 0);
    /* each vCPU on its planned CPU, two vCPUs per host LLC */
    for (unsigned v = 0; v < 4; v++)
        assert_int_equal(t.cpu_llc[l.vcpu_host[v]], t.cpu_llc[l.vcpu_host[v - v % 2]]);
    assert_int_not_equal(t.cpu_llc[l.vcpu_host[0]], t.cpu_llc[l.vcpu_host[2]]);
    char **args = ls_qemu_args_build(&l, 128, false, "/run/x/qmp.sock", &err);
    assert_non_null(args);
    char *s = joined(args);
    assert_string_equal(s, "-smp 4,sockets=1,dies=2,cores=2,threads=1 "
                           "-qmp unix:/run/x/qmp.sock,server=on,wait=off");
    free(s);
    ls_strv_free(args);
    ls_vm_layout_free(&l);
    ls_plan_free(&plan);
    ls_topology_free(&t);
}

static void test_numa_nodes_bound(void **state)
{
    (void)state;
    struct ls_topology t;
    struct ls_request req;
    struct ls_plan plan;
    struct ls_error err = {0};
    plan_a("2x2x1,nodes=2", &t, &req, &plan);
    struct ls_vm_layout l;
    assert_int_equal(ls_vm_layout_build(&l, &req.perf, &plan, &t, &err), 0);
    assert_int_equal(l.nnodes, 2);
    assert_int_equal(l.sockets, 2);
    assert_int_equal(l.dies, 1);
    /* guest node g = vCPUs 2g..2g+1, on the node of their host CPUs, the two on two nodes */
    for (unsigned g = 0; g < 2; g++) {
        assert_int_equal(l.nodes[g].first_vcpu, 2 * g);
        assert_int_equal(l.nodes[g].nvcpus, 2);
        assert_int_equal(l.nodes[g].host_node, t.cpu_node[l.vcpu_host[2 * g]]);
        assert_int_equal(l.nodes[g].host_node, t.cpu_node[l.vcpu_host[2 * g + 1]]);
    }
    assert_int_not_equal(l.nodes[0].host_node, l.nodes[1].host_node);
    char **args = ls_qemu_args_build(&l, 1024, false, NULL, &err);
    assert_non_null(args);
    char *s = joined(args), *want;
    assert_true(asprintf(&want,
                         "-smp 4,sockets=2,dies=1,cores=2,threads=1 -m 1024M "
                         "-object memory-backend-ram,id=llcslice-mem0,size=512M,host-nodes=%d,"
                         "policy=bind -numa node,nodeid=0,cpus=0-1,memdev=llcslice-mem0 "
                         "-object memory-backend-ram,id=llcslice-mem1,size=512M,host-nodes=%d,"
                         "policy=bind -numa node,nodeid=1,cpus=2-3,memdev=llcslice-mem1 "
                         "-numa dist,src=0,dst=1,val=20 -numa dist,src=1,dst=0,val=20",
                         l.nodes[0].host_node, l.nodes[1].host_node) > 0);
    assert_string_equal(s, want);
    free(s);
    free(want);
    ls_strv_free(args);
    /* -m given by the user: not repeated; an odd MiB goes to the first node */
    args = ls_qemu_args_build(&l, 1025, true, NULL, &err);
    s = joined(args);
    assert_null(strstr(s, "-m "));
    assert_non_null(strstr(s, "id=llcslice-mem0,size=513M"));
    assert_non_null(strstr(s, "id=llcslice-mem1,size=512M"));
    free(s);
    ls_strv_free(args);

    /* libvirt: vcpupin per vCPU, emulatorpin on the service CPU, cells and memnodes */
    char *x = NULL;
    size_t xn = 0;
    FILE *f = open_memstream(&x, &xn);
    assert_int_equal(ls_libvirt_print(f, &l, &plan.mems, 1024, &err), 0);
    fclose(f);
    char line[128];
    assert_non_null(strstr(x, "<vcpu placement='static'>4</vcpu>"));
    for (unsigned v = 0; v < 4; v++) {
        snprintf(line, sizeof(line), "<vcpupin vcpu='%u' cpuset='%u'/>", v, l.vcpu_host[v]);
        assert_non_null(strstr(x, line));
    }
    snprintf(line, sizeof(line), "<emulatorpin cpuset='%d'/>", plan.service_cpu);
    assert_non_null(strstr(x, line));
    assert_non_null(strstr(x, "<topology sockets='2' dies='1' cores='2' threads='1'/>"));
    assert_non_null(strstr(x, "<cell id='1' cpus='2-3' memory='512' unit='MiB'>"));
    snprintf(line, sizeof(line), "<memnode cellid='1' mode='strict' nodeset='%d'/>",
             l.nodes[1].host_node);
    assert_non_null(strstr(x, line));
    assert_non_null(strstr(x, "<memory mode='strict' nodeset='0-1'/>"));
    free(x);
    ls_vm_layout_free(&l);
    ls_plan_free(&plan);
    ls_topology_free(&t);
}

static int scan(const char *const *args, struct ls_qemu_scan *out, struct ls_error *err)
{
    struct ls_perf_topo p = {2, 2, 1, 1};
    ls_error_clear(err);
    return ls_qemu_args_scan((char *const *)args, &p, out, err);
}

static void test_conflicts(void **state)
{
    (void)state;
    struct ls_qemu_scan s;
    struct ls_error err = {0};
    const char *smp[] = {"-accel", "tcg", "-smp", "8", NULL};
    assert_int_equal(scan(smp, &s, &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    assert_contains(err.msg, "'-smp 8'");
    assert_contains(err.msg, "-smp 4,sockets=1,dies=2,cores=2,threads=1");
    const char *smp2[] = {"--smp=8", NULL};
    assert_int_equal(scan(smp2, &s, &err), -1);
    assert_contains(err.msg, "'--smp=8'");
    const char *numa[] = {"-numa", "node,nodeid=0", NULL};
    assert_int_equal(scan(numa, &s, &err), -1);
    assert_contains(err.msg, "'-numa node,nodeid=0'");
    const char *daemon[] = {"-daemonize", NULL};
    assert_int_equal(scan(daemon, &s, &err), -1);
    assert_contains(err.msg, "-daemonize");
    /* values that merely look alike are no conflict: -machine is not -m, -smpx is not -smp */
    const char *fine[] = {"-machine", "q35", "-append", "smp=4", "-name", "t", NULL};
    assert_int_equal(scan(fine, &s, &err), 0);
    assert_false(s.mem_given);
    assert_int_equal(s.mem_mib, LS_QEMU_DEFAULT_MEM_MIB);
}

static void test_mem_sizes(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        long long mib; /* -1: refused */
    } cases[] = {
        {"512", 512}, {"2G", 2048}, {"2g", 2048},    {"1T", 1024 * 1024},
        {"64M", 64},  {"1024K", 1}, {"1048576B", 1}, {"size=1G,slots=2,maxmem=4G", 1024},
        {"1.5G", -1}, {"0", -1},    {"-1", -1},      {"1000K", -1},
        {"12Q", -1},  {"", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[] = {"-m", cases[i].text, NULL};
        struct ls_qemu_scan s;
        struct ls_error err = {0};
        int rc = scan(args, &s, &err);
        if (cases[i].mib < 0) {
            if (rc == 0)
                fail_msg("-m %s accepted as %llu MiB", cases[i].text,
                         (unsigned long long)s.mem_mib);
            assert_int_equal(err.category, LS_ERR_USAGE);
            assert_contains(err.msg, "whole number of MiB");
        } else {
            if (rc < 0)
                fail_msg("-m %s: %s", cases[i].text, err.msg);
            assert_true(s.mem_given);
            assert_int_equal(s.mem_mib, cases[i].mib);
        }
    }
    const char *missing[] = {"-m", NULL};
    struct ls_qemu_scan s;
    struct ls_error err = {0};
    assert_int_equal(scan(missing, &s, &err), -1);
}

static void test_qmp_reply(void **state)
{
    (void)state;
    /* qemu 7.2's reply, vCPUs listed out of order */
    const char *reply =
        "{\"return\": [{\"thread-id\": 25628, \"props\": {\"core-id\": 1, \"thread-id\": 0, "
        "\"die-id\": 0, \"socket-id\": 0}, \"qom-path\": \"/machine/unattached/device[1]\", "
        "\"cpu-index\": 1, \"target\": \"x86_64\"}, {\"thread-id\": 25627, \"props\": "
        "{\"core-id\": 0, \"thread-id\": 0, \"die-id\": 0, \"socket-id\": 0}, \"qom-path\": "
        "\"/machine/unattached/device[0]\", \"cpu-index\": 0, \"target\": \"x86_64\"}]}";
    struct ls_qmp_vcpu *v;
    size_t n;
    struct ls_error err = {0};
    assert_int_equal(ls_qmp_parse_vcpus(reply, &v, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].cpu_index, 0);
    assert_int_equal(v[0].thread_id, 25627);
    assert_int_equal(v[1].cpu_index, 1);
    assert_int_equal(v[1].thread_id, 25628);
    free(v);
    const char *bad[] = {
        "{\"return\": {}}",
        "{\"return\": [{\"cpu-index\": 0}]}",
        "{\"return\": [{\"cpu-index\": 0, \"thread-id\": \"x\"}]}",
        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}}",
        "not json",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ls_error_clear(&err);
        if (ls_qmp_parse_vcpus(bad[i], &v, &n, &err) == 0)
            fail_msg("accepted: %s", bad[i]);
    }
}

/* A plan file as `llcslice pin` reads it back. */
static int read_text(const char *text, struct ls_plan_pins *p, struct ls_error *err)
{
    char path[] = "/tmp/llcslice-test-plan-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    ls_error_clear(err);
    int rc = ls_plan_pins_read(path, p, err);
    unlink(path);
    return rc;
}

static void test_plan_read_back(void **state)
{
    (void)state;
    struct ls_plan_pins p;
    struct ls_error err = {0};
    assert_int_equal(read_text("{\"mode\": \"exclusive\", \"assignments\": [[1, 5], [0, 4]], "
                               "\"service_cpu\": 6, \"applied\": {}}",
                               &p, &err),
                     0);
    assert_int_equal(p.nvcpus, 2);
    assert_int_equal(p.vcpu_host[0], 4);
    assert_int_equal(p.vcpu_host[1], 5);
    assert_int_equal(p.service_cpu, 6);
    ls_plan_pins_free(&p);
    assert_int_equal(
        read_text("{\"mode\": \"exclusive\", \"assignments\": [[0, 4]], \"service_cpu\": null}", &p,
                  &err),
        0);
    assert_int_equal(p.service_cpu, -1);
    ls_plan_pins_free(&p);
    const char *bad[] = {
        "{\"mode\": \"shared\", \"assignments\": [[0, 1]]}",
        "{\"mode\": \"exclusive\", \"assignments\": []}",
        "{\"mode\": \"exclusive\", \"assignments\": [[0, 1], [0, 2]]}",
        "{\"mode\": \"exclusive\", \"assignments\": [[1, 1]]}",
        "{\"mode\": \"exclusive\", \"assignments\": [[0, -1]]}",
        "{\"mode\": \"exclusive\", \"assignments\": [[0, 1, 2]]}",
        "{\"mode\": \"exclusive\", \"assignments\": [[0, 1]], \"service_cpu\": \"x\"}",
        "[1, 2]",
        "{\"mode\": \"exclusive\", \"assignments\": [[0, 1]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (read_text(bad[i], &p, &err) == 0)
            fail_msg("accepted: %s", bad[i]);
        assert_int_equal(err.category, LS_ERR_USAGE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smp_dies_per_llc), cmocka_unit_test(test_numa_nodes_bound),
        cmocka_unit_test(test_conflicts),        cmocka_unit_test(test_mem_sizes),
        cmocka_unit_test(test_qmp_reply),        cmocka_unit_test(test_plan_read_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
