/* llcslice pin: apply a performance-mode plan to a qemu some other wrapper started inside the
 * job (virtme-ng and the like): QMP query-cpus-fast, each vCPU thread to its planned CPU, every
 * other thread to the service CPU, the plan file updated with "applied". */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "planner/duration.h"
#include "cli.h"
#include "options.h"
#include "supervisor/vmm/pin.h"
#include "supervisor/vmm/planread.h"
#include "supervisor/vmm/qmp.h"
#include "supervisor/vmm/vmm.h"
#include "planner/clock.h"

static void usage(FILE *out)
{
    fputs("Usage: llcslice pin --qmp SOCKET [--plan FILE] [--timeout DURATION] [--follow]\n"
          "                    [--json]\n"
          "\n"
          "Pin a running qemu to the performance-mode plan of the llcslice job it runs in: each\n"
          "vCPU thread (QMP query-cpus-fast) to its planned host CPU, every other qemu thread\n"
          "(main loop, I/O, RCU, workers) to the service CPU. For a qemu started by a wrapper;\n"
          "'llcslice run --vmm qemu' does this itself. Start qemu with the plan's -smp ('llcslice\n"
          "plan --perf ... --format qemu') and a QMP socket: -qmp unix:SOCKET,server=on,wait=off.\n"
          "The plan file gets \"applied\": {vmm, pid, vcpu_threads [[vcpu, tid, cpu]],\n"
          "service_threads [[tid, cpu]], service_cpu, pinned_after_ms} (tids as qemu sees them).\n"
          "\n"
          "Options:\n"
          "  --qmp SOCKET           qemu's QMP unix socket (waited for while it does not exist)\n"
          "  --plan FILE            the plan (default: $LLCSLICE_PLAN, set by 'llcslice run\n"
          "                         --perf')\n"
          "  --timeout DURATION     how long qemu may take to answer on QMP (default 60s)\n"
          "  --follow               stay until qemu exits, pinning threads it starts later to\n"
          "                         the service CPU (threads inherit their creator's CPU)\n"
          "  --json                 print the applied pinning as JSON\n"
          "  -h, --help             this text\n"
          "\n"
          "Exit status: 0 pinned; 64 usage error (also: qemu's vCPUs differ from the plan's);\n"
          "125 qemu did not answer in time, or a thread could not be pinned.\n",
          out);
}

enum { OPT_QMP = 0x3000, OPT_PLAN, OPT_TIMEOUT, OPT_FOLLOW, OPT_JSON };

static void print_human(const struct ls_pin_state *st, const char *plan_path)
{
    size_t service = 0;
    printf("qemu pid %d:\n", (int)st->pid);
    for (size_t i = 0; i < st->n; i++)
        if (st->t[i].vcpu >= 0)
            printf("  vCPU %d (thread %ld) -> CPU %u\n", st->t[i].vcpu, st->t[i].ns_tid,
                   st->t[i].cpu);
        else
            service++;
    if (st->service_cpu >= 0)
        printf("  %zu other thread(s) -> service CPU %d\n", service, st->service_cpu);
    printf("pinned %.0f ms after qemu started; recorded in %s\n", st->pinned_after_ms, plan_path);
    fflush(stdout);
}

/* What the command line asked for. */
struct pin_args {
    const char *sock, *plan_path;
    long long timeout_ms;
    bool follow, json;
};

/* 0 parsed, else the exit code (help: 0 after printing, usage error: 64). */
static int parse(int argc, char **argv, struct pin_args *a, bool *done)
{
    static const struct option longopts[] = {
        {"qmp", required_argument, NULL, OPT_QMP},
        {"plan", required_argument, NULL, OPT_PLAN},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"follow", no_argument, NULL, OPT_FOLLOW},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *a = (struct pin_args){.timeout_ms = LS_VMM_DEFAULT_TIMEOUT_MS};
    *done = false;
    const char *timeout_text = NULL;
    int c;
    struct ls_getopt g;
    ls_getopt_init(&g, "pin", argc, argv, "+:h", longopts);
    while ((c = ls_getopt_next(&g)) != -1) {
        switch (c) {
        case OPT_QMP:
            a->sock = optarg;
            break;
        case OPT_PLAN:
            a->plan_path = optarg;
            break;
        case OPT_TIMEOUT:
            timeout_text = optarg;
            break;
        case OPT_FOLLOW:
            a->follow = true;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case 'h':
            usage(stdout);
            *done = true;
            return 0;
        default:
            return ls_getopt_error(&g);
        }
    }
    if (optind < argc)
        return ls_usage_error("pin", "unexpected argument '%s'", argv[optind]);
    if (!a->sock || !*a->sock)
        return ls_usage_error("pin", "--qmp SOCKET is required (qemu's -qmp unix:SOCKET,...)");
    if (!a->plan_path || !*a->plan_path)
        a->plan_path = getenv("LLCSLICE_PLAN");
    if (!a->plan_path || !*a->plan_path)
        return ls_usage_error("pin", "no plan: give --plan FILE, or run inside 'llcslice run "
                                     "--perf ...' (which sets LLCSLICE_PLAN)");
    struct ls_error err = {0};
    if (timeout_text && ls_duration_parse(timeout_text, "--timeout", &a->timeout_ms, &err) < 0)
        return ls_usage_error("pin", "%s", err.msg);
    if (a->timeout_ms <= 0)
        return ls_usage_error("pin", "--timeout must be above zero");
    return 0;
}

int ls_cmd_pin(int argc, char **argv)
{
    struct pin_args a;
    bool done;
    int rc = parse(argc, argv, &a, &done);
    if (rc || done)
        return rc;
    const char *plan_path = a.plan_path;
    struct ls_error err = {0};

    struct ls_plan_pins pins;
    if (ls_plan_pins_read(plan_path, &pins, &err) < 0)
        return ls_usage_error("pin", "%s", err.msg);
    struct ls_qmp q;
    struct ls_qmp_vcpu *vcpus = NULL;
    size_t n = 0;
    struct ls_pin_state st = LS_PIN_STATE_INIT;
    long long deadline = ls_mono_ms() + a.timeout_ms;
    rc = -1;
    if (ls_qmp_open(&q, a.sock, deadline, NULL, NULL, &err) == 0) {
        rc = ls_qmp_query_vcpus(&q, deadline, &vcpus, &n, &err);
        if (rc == 0)
            rc = ls_pin_apply(&st, q.peer_pid, vcpus, n, pins.vcpu_host, pins.nvcpus,
                              pins.service_cpu, &err);
        ls_qmp_close(&q);
    }
    free(vcpus);
    ls_plan_pins_free(&pins);
    if (rc < 0) {
        ls_pin_free(&st);
        return ls_report(&err);
    }
    struct ls_error rerr = {0};
    if (ls_pin_record(&st, plan_path, &rerr) < 0)
        ls_warn("%s", rerr.msg);
    if (a.json)
        ls_pin_write_json(stdout, &st);
    else
        print_human(&st, plan_path);
    fflush(stdout);
    /* Later threads inherit their creator's CPU: a vCPU thread's helper would sit on a vCPU's
     * CPU. Rescan until qemu is gone. */
    while (a.follow) {
        ls_sleep_ms(200);
        int added = ls_pin_rescan(&st);
        if (added < 0)
            break;
        if (added > 0 && ls_pin_record(&st, plan_path, &rerr) < 0)
            ls_warn("%s", rerr.msg);
    }
    ls_pin_free(&st);
    return 0;
}
