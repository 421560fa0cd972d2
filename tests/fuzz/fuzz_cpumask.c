/* libFuzzer: hex cpumask parser (shared_cpu_map, cpumap). */
#include <stdint.h>

#include "planner/cpuset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ls_cpuset s = LS_CPUSET_INIT;
    struct ls_error err = {0};
    (void)ls_cpuset_parse_mask(&s, (const char *)data, size, "fuzz", &err);
    ls_cpuset_free(&s);
    return 0;
}
