/* `plan --format libvirt`: the plan as the parts of a libvirt domain XML that pin a guest
 * (https://libvirt.org/formatdomain.html: CPU tuning, NUMA node tuning, CPU model and
 * topology). */
#include <errno.h>

#include "planner/cleanup.h"
#include "qemu_args.h"

int ls_libvirt_print(FILE *out, const struct ls_vm_layout *l, const ls_cpuset *mems,
                     uint64_t mem_mib, struct ls_error *err)
{
    if (ls_vm_mem_check(l, mem_mib, err) < 0)
        return -1;
    _cleanup_free_ char *nodeset = ls_cpuset_format(mems);
    if (!nodeset)
        return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
    fprintf(out, "<vcpu placement='static'>%u</vcpu>\n<cputune>\n", l->nvcpus);
    for (unsigned v = 0; v < l->nvcpus; v++)
        fprintf(out, "  <vcpupin vcpu='%u' cpuset='%u'/>\n", v, l->vcpu_host[v]);
    if (l->service_cpu >= 0)
        fprintf(out, "  <emulatorpin cpuset='%d'/>\n", l->service_cpu);
    fprintf(out,
            "</cputune>\n<cpu>\n  <topology sockets='%u' dies='%u' cores='%u' threads='%u'/>\n",
            l->sockets, l->dies, l->perf.cores, l->perf.threads);
    if (l->nnodes) {
        fputs("  <numa>\n", out);
        for (unsigned g = 0; g < l->nnodes; g++) {
            const struct ls_vm_node *nd = &l->nodes[g];
            fprintf(out, "    <cell id='%u' cpus='%u-%u' memory='%llu' unit='MiB'", g,
                    nd->first_vcpu, nd->first_vcpu + nd->nvcpus - 1,
                    (unsigned long long)ls_vm_node_mem_mib(l, mem_mib, g));
            fputs(">\n      <distances>\n", out);
            for (unsigned h = 0; h < l->nnodes; h++)
                fprintf(out, "        <sibling id='%u' value='%u'/>\n", h,
                        l->dist[g * l->nnodes + h]);
            fputs("      </distances>\n    </cell>\n", out);
        }
        fputs("  </numa>\n", out);
    }
    fprintf(out, "</cpu>\n<numatune>\n  <memory mode='strict' nodeset='%s'/>\n", nodeset);
    for (unsigned g = 0; g < l->nnodes; g++)
        fprintf(out, "  <memnode cellid='%u' mode='strict' nodeset='%d'/>\n", g,
                l->nodes[g].host_node);
    fputs("</numatune>\n", out);
    return 0;
}
