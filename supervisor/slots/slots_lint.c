/* slots --check findings: what a run or --dry-run would refuse (a job with no plan even on an
 * idle host) as errors, and what would make a job fail at start (a missing cwd:, a command
 * not found) as warnings: the file may be checked on another host than it runs on. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "planner/cleanup.h"
#include "supervisor/cli/json.h"
#include "supervisor/run/process.h"
#include "slots_cmd.h"

struct finding {
    const char *job;
    const char *key; /* plan, cwd, command */
    bool error;
    int exit_code; /* errors: what a run would exit with */
    char msg[2048];
};

static const char *job_env(const struct ls_slot_job *j, const char *name)
{
    const char *v = NULL;
    for (size_t i = 0; i < j->nenv; i++)
        if (!strcmp(j->env[i].name, name))
            v = j->env[i].value;
    return v;
}

/* Where the job's argv[0] resolves: relative to cwd: for a path, else the job's PATH. */
static bool command_missing(const struct ls_slot_job *j, char *msg, size_t size)
{
    if (j->shell) /* /bin/sh -c TEXT: the shell finds its own commands */
        return false;
    const char *name = j->argv[0];
    char path[PATH_MAX];
    struct ls_error e = {0};
    if (strchr(name, '/') && name[0] != '/' && j->cwd) {
        char joined[PATH_MAX];
        snprintf(joined, sizeof(joined), "%s/%s", j->cwd, name);
        int rc = ls_command_lookup(joined, path, sizeof(path), &e);
        if (rc == 0)
            return false;
        if (rc == LS_EXIT_NOTFOUND)
            snprintf(msg, size, "command %.256s not found in its cwd %.512s", name, j->cwd);
        else
            snprintf(msg, size, "command %.256s (in cwd %.512s): %.1024s", name, j->cwd, e.msg);
        return true;
    }
    const char *job_path = job_env(j, "PATH");
    _cleanup_free_ char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    if (job_path)
        setenv("PATH", job_path, 1);
    int rc = ls_command_lookup(name, path, sizeof(path), &e);
    if (job_path) {
        if (saved)
            setenv("PATH", saved, 1);
        else
            unsetenv("PATH");
    }
    if (rc == 0)
        return false;
    snprintf(msg, size, "%.1500s%s", e.msg,
             rc == LS_EXIT_NOTFOUND ? (job_path ? " (on the job's PATH)" : " (on PATH)") : "");
    return true;
}

static void print_json(const struct ls_slots *s, const struct finding *f, size_t n, int code)
{
    struct ls_json j;
    ls_json_init(&j, stdout, true);
    ls_json_obj_begin(&j, NULL);
    ls_json_str(&j, "file", s->path);
    ls_json_bool(&j, "valid", code == 0);
    ls_json_int(&j, "exit_code", code);
    ls_json_arr_begin(&j, "jobs");
    for (size_t i = 0; i < s->njobs; i++) {
        const struct ls_slot_job *jb = &s->jobs[i];
        ls_json_obj_begin(&j, NULL);
        ls_json_str(&j, "name", jb->name);
        ls_json_str(&j, "mode", ls_mode_name(jb->mode));
        ls_json_str(&j, "cwd", jb->cwd);
        ls_json_arr_begin(&j, "command");
        for (size_t k = 0; k < jb->argc; k++)
            ls_json_str(&j, NULL, jb->argv[k]);
        ls_json_arr_end(&j);
        ls_json_obj_end(&j);
    }
    ls_json_arr_end(&j);
    ls_json_arr_begin(&j, "findings");
    for (size_t i = 0; i < n; i++) {
        ls_json_obj_begin(&j, NULL);
        ls_json_str(&j, "job", f[i].job);
        ls_json_str(&j, "severity", f[i].error ? "error" : "warning");
        ls_json_str(&j, "key", f[i].key);
        ls_json_str(&j, "message", f[i].msg);
        ls_json_obj_end(&j);
    }
    ls_json_arr_end(&j);
    ls_json_obj_end(&j);
    ls_json_finish(&j);
}

int ls_slots_check(const struct ls_slots *s, const struct ls_host *host, bool json)
{
    _cleanup_free_ struct finding *f = calloc(3 * s->njobs, sizeof(*f));
    if (!f) {
        struct ls_error oom = {0};
        ls_fail(&oom, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        return ls_report(&oom);
    }
    size_t n = 0;
    int code = 0;
    for (size_t i = 0; i < s->njobs; i++) {
        const struct ls_slot_job *j = &s->jobs[i];
        struct ls_plan plan;
        struct ls_error e = {0};
        if (ls_slots_plan_idle(s, host, i, &plan, &e) < 0) {
            f[n] = (struct finding){.job = j->name, .key = "plan", .error = true};
            f[n].exit_code = ls_exit_code(&e);
            snprintf(f[n++].msg, sizeof(f->msg), "%s", e.msg);
            if (!code)
                code = ls_exit_code(&e);
        } else {
            ls_plan_free(&plan);
        }
        struct stat st;
        if (j->cwd && (stat(j->cwd, &st) < 0 || !S_ISDIR(st.st_mode))) {
            int err = errno;
            f[n] = (struct finding){.job = j->name, .key = "cwd"};
            snprintf(f[n++].msg, sizeof(f->msg), "cwd %.1500s: %s; the job cannot start here",
                     j->cwd, S_ISDIR(st.st_mode) || err != 0 ? strerror(err) : "not a directory");
        }
        char msg[sizeof(f->msg)];
        if (command_missing(j, msg, sizeof(msg))) {
            f[n] = (struct finding){.job = j->name, .key = "command"};
            snprintf(f[n++].msg, sizeof(f->msg), "%.1900s; the job cannot start here", msg);
        }
    }
    if (json) {
        print_json(s, f, n, code);
    } else if (!code) {
        ls_slots_print_check(s, host);
    }
    fflush(stdout);
    for (size_t i = 0; i < n; i++) {
        if (f[i].error)
            fprintf(stderr, "llcslice: %s error: %s\n",
                    f[i].exit_code == LS_EXIT_UNSAT ? "unsatisfiable" : "usage", f[i].msg);
        else
            ls_warn("job '%s': %s", f[i].job, f[i].msg);
    }
    return code;
}
