/* libFuzzer: what qemu sends and what users give qemu never crash the VMM driver: the input
 * as a query-cpus-fast reply (an accepted one lists vCPUs by ascending index with positive
 * thread ids) and as the value of -m (an accepted size is a positive number of MiB). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/vmm/qemu_args.h"
#include "supervisor/vmm/qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct ls_error err = {0};
    struct ls_qmp_vcpu *v = NULL;
    size_t n = 0;
    if (ls_qmp_parse_vcpus(text, &v, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++)
            if (v[i].thread_id <= 0 || (i && v[i].cpu_index < v[i - 1].cpu_index))
                abort();
        free(v);
    } else if (!err.msg[0]) {
        abort();
    }
    struct ls_perf_topo perf = {2, 2, 1, 1};
    struct ls_qemu_scan scan;
    char *args[] = {"-m", text, NULL};
    ls_error_clear(&err);
    if (ls_qemu_args_scan(args, &perf, &scan, &err) == 0) {
        if (!scan.mem_given || scan.mem_mib == 0)
            abort();
    } else if (err.category != LS_ERR_USAGE || !err.msg[0]) {
        abort();
    }
    free(text);
    return 0;
}
