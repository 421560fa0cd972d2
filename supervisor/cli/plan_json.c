/* A plan as JSON: the one writer behind `plan --json`, LLCSLICE_PLAN and `slots --dry-run`. */
#include "plan_json.h"

void ls_plan_json_members(struct ls_json *j, const struct ls_plan *p)
{
    ls_json_str(j, "mode", ls_mode_name(p->mode));
    ls_json_uint(j, "target_cpus", p->target_cpus);
    ls_json_arr_begin(j, "locked_llcs");
    for (size_t i = 0; i < p->nlocked; i++)
        ls_json_uint(j, NULL, p->locked_llcs[i]);
    ls_json_arr_end(j);
    ls_json_cpuset(j, "cpus", &p->cpus);
    ls_json_cpuset(j, "mems", &p->mems);
    ls_json_arr_begin(j, "warnings");
    for (size_t i = 0; i < p->nwarnings; i++)
        ls_json_str(j, NULL, p->warnings[i]);
    ls_json_arr_end(j);
    if (p->mode == LS_MODE_EXCLUSIVE) {
        ls_json_arr_begin(j, "assignments");
        for (size_t i = 0; i < p->nassignments; i++) {
            ls_json_arr_begin(j, NULL);
            ls_json_uint(j, NULL, p->assignments[i].vcpu);
            ls_json_uint(j, NULL, p->assignments[i].host_cpu);
            ls_json_arr_end(j);
        }
        ls_json_arr_end(j);
        if (p->service_cpu >= 0)
            ls_json_int(j, "service_cpu", p->service_cpu);
        else
            ls_json_null(j, "service_cpu");
    }
    if (p->guest.llcs && p->guest_host_node) {
        /* The guest topology and where it lives: vCPU -> guest node -> host node. */
        ls_json_obj_begin(j, "guest");
        ls_json_uint(j, "llcs", p->guest.llcs);
        ls_json_uint(j, "cores", p->guest.cores);
        ls_json_uint(j, "threads", p->guest.threads);
        ls_json_uint(j, "nodes", p->guest.nodes);
        ls_json_obj_end(j);
        ls_json_arr_begin(j, "vcpu_guest_nodes");
        for (size_t i = 0; i < p->nassignments; i++)
            ls_json_uint(j, NULL, ls_plan_vcpu_guest_node(p, (unsigned)i));
        ls_json_arr_end(j);
        ls_json_arr_begin(j, "guest_host_nodes");
        for (unsigned g = 0; g < p->guest.nodes; g++)
            ls_json_int(j, NULL, p->guest_host_node[g]);
        ls_json_arr_end(j);
    }
}

void ls_plan_write_json(FILE *out, const struct ls_plan *p, bool pretty)
{
    struct ls_json j;
    ls_json_init(&j, out, pretty);
    ls_json_obj_begin(&j, NULL);
    ls_plan_json_members(&j, p);
    ls_json_obj_end(&j);
    ls_json_finish(&j);
}
