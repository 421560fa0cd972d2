#include "runstats.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "planner/cleanup.h"
#include "planner/clock.h"

static uint64_t read_u64(const char *dir, const char *file)
{
    if (!dir[0])
        return 0;
    char path[8400];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    _cleanup_fclose_ FILE *f = fopen(path, "re");
    unsigned long long v = 0;
    if (!f || fscanf(f, "%llu", &v) != 1)
        return 0;
    return v;
}

static uint64_t tv_ms(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

void ls_runstats_collect(struct ls_runstats *st, const struct ls_confine *c, uint64_t start_ms)
{
    memset(st, 0, sizeof(*st));
    st->wall_ms = ls_mono_ms() - start_ms;
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) == 0) {
        st->user_ms = tv_ms(ru.ru_utime);
        st->sys_ms = tv_ms(ru.ru_stime);
    }
    if (c->kind == LS_CONFINE_CGROUP) {
        if (c->sb.memory_path[0]) {
            st->peak_bytes = read_u64(c->sb.memory_path, "memory.max_usage_in_bytes");
            st->peak_source = "cgroup memory.max_usage_in_bytes";
        } else {
            st->peak_bytes = read_u64(c->sb.path, "memory.peak");
            st->peak_source = "cgroup memory.peak";
        }
        st->oom_kills = ls_confine_oom_kills(c);
    }
    if (!st->peak_bytes && getrusage(RUSAGE_CHILDREN, &ru) == 0 && ru.ru_maxrss > 0) {
        st->peak_bytes = (uint64_t)ru.ru_maxrss * 1024;
        st->peak_source = "largest process's max RSS";
    }
}

static void fmt_time(uint64_t ms, char *buf, size_t size)
{
    uint64_t s = ms / 1000;
    if (s < 60)
        snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "s", s, ms % 1000 / 100);
    else if (s < 3600)
        snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
    else
        snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
}

static void fmt_bytes(uint64_t b, char *buf, size_t size)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof(unit) / sizeof(unit[0])) {
        v /= 1024;
        u++;
    }
    snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void ls_runstats_format(const struct ls_runstats *st, char *buf, size_t size)
{
    char wall[32], cpu[32], user[32], sys[32], peak[48] = "unknown";
    fmt_time(st->wall_ms, wall, sizeof(wall));
    fmt_time(st->user_ms + st->sys_ms, cpu, sizeof(cpu));
    fmt_time(st->user_ms, user, sizeof(user));
    fmt_time(st->sys_ms, sys, sizeof(sys));
    if (st->peak_bytes)
        fmt_bytes(st->peak_bytes, peak, sizeof(peak));
    char ooms[48];
    if (st->oom_kills > 0)
        snprintf(ooms, sizeof(ooms), "%ld OOM kill%s", st->oom_kills,
                 st->oom_kills == 1 ? "" : "s");
    else
        snprintf(ooms, sizeof(ooms), "no OOM kill");
    snprintf(buf, size, "%s wall, %s CPU (%s user, %s system), peak memory %s%s%s%s, %s", wall, cpu,
             user, sys, peak, st->peak_bytes ? " (" : "",
             st->peak_bytes && st->peak_source ? st->peak_source : "", st->peak_bytes ? ")" : "",
             ooms);
}

void ls_runstats_encode(const struct ls_runstats *st, char *buf, size_t size)
{
    snprintf(buf, size, "R %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %ld\n", st->wall_ms,
             st->user_ms, st->sys_ms, st->peak_bytes, st->oom_kills);
}

int ls_runstats_decode(struct ls_runstats *st, const char *line)
{
    memset(st, 0, sizeof(*st));
    return sscanf(line, "R %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %ld", &st->wall_ms,
                  &st->user_ms, &st->sys_ms, &st->peak_bytes, &st->oom_kills) == 5
               ? 0
               : -1;
}
