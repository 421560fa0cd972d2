/* Slot job states by name, and the runner's clocks. */
#include "slots_job.h"

#include <time.h>

static const char *const state_names[] = {
    [LS_SJ_PENDING] = "pending", [LS_SJ_ACQUIRING] = "acquiring", [LS_SJ_WAITING] = "waiting",
    [LS_SJ_RUNNING] = "running", [LS_SJ_DONE] = "done",           [LS_SJ_FAILED] = "failed",
    [LS_SJ_TIMEOUT] = "timeout", [LS_SJ_SKIPPED] = "skipped",     [LS_SJ_STOPPED] = "stopped",
};

const char *ls_sj_state_name(enum ls_sj_state st)
{
    return (unsigned)st < sizeof(state_names) / sizeof(state_names[0]) ? state_names[st] : "?";
}

double ls_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000000) / 1000.0;
}
