/* slots --dry-run --slurm: the slot file as a sh script of sbatch submissions. Slurm chooses the
 * node and its CPUs; on that node `llcslice run` places the job inside the step (README: Many
 * hosts). Dependencies use the job ids sbatch --parsable prints, kept in shell variables. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "configs/slots_units.h"
#include "planner/cleanup.h"
#include "supervisor/cli/cli.h"
#include "slots_slurm.h"

#define DELIM "LLCSLICE_SBATCH_EOF"

/* One shell word: plain when only safe characters, else single-quoted ('\'' for '). */
static void sh_word(FILE *f, const char *s)
{
    if (*s &&
        strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-") ==
            strlen(s)) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

/* Slurm's --time: [D-]HH:MM:SS, whole seconds rounded up (Slurm itself rounds to minutes). */
static void slurm_time(uint64_t ms, char *buf, size_t size)
{
    uint64_t s = (ms + 999) / 1000;
    snprintf(buf, size, "%llu-%02u:%02u:%02u", (unsigned long long)(s / 86400),
             (unsigned)(s % 86400 / 3600), (unsigned)(s % 3600 / 60), (unsigned)(s % 60));
}

/* CPUs Slurm must give the step: the budget, else the vCPUs (+1 service CPU in exclusive
 * mode, as planner/plan_exclusive does); 0 = leave it to Slurm (one CPU). */
static size_t step_cpus(const struct ls_slot_job *j, size_t allowed_count)
{
    size_t n = ls_slot_job_cpus(j, allowed_count);
    if (n)
        return n;
    if (j->vcpus) /* the planner's VM default: the vCPU count (the step holds no more) */
        return j->vcpus + (j->has_perf && j->mode == LS_MODE_EXCLUSIVE);
    return 0;
}

/* The batch script of one run: #SBATCH resources, cwd, env, then exec llcslice run. */
static void job_body(FILE *f, const struct ls_slot_job *j, const struct ls_slurm_opts *o)
{
    char buf[64];
    size_t cpus = step_cpus(j, o->allowed_count);
    fprintf(f, "#!/bin/sh\n#SBATCH --job-name=%s\n", j->name);
    if (cpus)
        fprintf(f, "#SBATCH --cpus-per-task=%zu\n", cpus);
    if (j->mode == LS_MODE_EXCLUSIVE) /* whole LLCs: only a whole node is sure to have them */
        fputs("#SBATCH --exclusive\n", f);
    if (j->memory_max)
        fprintf(f, "#SBATCH --mem=%lluM\n",
                (unsigned long long)((j->memory_max + (1u << 20) - 1) >> 20));
    if (j->timeout_ms) {
        slurm_time(j->timeout_ms, buf, sizeof(buf));
        fprintf(f, "#SBATCH --time=%s\n", buf);
    }
    if (j->cwd) {
        fputs("cd ", f);
        sh_word(f, j->cwd);
        fputs(" || exit 1\n", f);
    }
    for (size_t i = 0; i < j->nenv; i++) {
        fprintf(f, "export %s=", j->env[i].name);
        sh_word(f, j->env[i].value);
        fputc('\n', f);
    }
    fprintf(f, "exec \"${LLCSLICE:-llcslice}\" run --mode %s", ls_mode_name(j->mode));
    if (j->has_perf) {
        fprintf(f, " --perf %ux%ux%u", j->perf.llcs, j->perf.cores, j->perf.threads);
        if (j->perf.nodes > 1)
            fprintf(f, ",nodes=%u", j->perf.nodes);
    }
    if (j->budget != LS_SLOT_BUDGET_DEFAULT)
        fprintf(f, " --cpus %zu", ls_slot_job_cpus(j, o->allowed_count));
    else if (j->vcpus && !j->has_perf) /* run has no --vcpus: the same budget, spelt out */
        fprintf(f, " --cpus %zu", j->vcpus);
    if (j->memory_max) {
        ls_slots_size_format(j->memory_max, buf, sizeof(buf));
        fprintf(f, " --memory-max %s", buf);
    }
    if (j->seccomp) {
        fputs(" --seccomp ", f);
        sh_word(f, j->seccomp);
    }
    if (j->seccomp_deny) {
        fputs(" --seccomp-deny ", f);
        sh_word(f, j->seccomp_deny);
    }
    if (j->wait_ms == LS_SLOTS_WAIT_FOREVER) {
        fputs(" --wait", f);
    } else if (j->wait_ms) {
        ls_slots_duration_format(j->wait_ms, buf, sizeof(buf));
        fprintf(f, " --wait=%s", buf);
    }
    if (o->lock_dir) {
        fputs(" --lock-dir ", f);
        sh_word(f, o->lock_dir);
    }
    if (o->lock_prefix) {
        fputs(" --lock-prefix ", f);
        sh_word(f, o->lock_prefix);
    }
    fputs(" --", f);
    for (size_t i = 0; j->argv[i]; i++) {
        fputc(' ', f);
        sh_word(f, j->argv[i]);
    }
    fputc('\n', f);
}

/* A here-document delimiter no line of body equals. */
static void pick_delim(const char *body, char *delim, size_t size)
{
    for (unsigned n = 0;; n++) {
        if (n)
            snprintf(delim, size, DELIM "_%u", n);
        else
            snprintf(delim, size, DELIM);
        size_t len = strlen(delim);
        bool clash = false;
        for (const char *p = body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
            if (!strncmp(p, delim, len) && (p[len] == '\n' || !p[len]))
                clash = true;
        if (!clash)
            return;
    }
}

int ls_slots_slurm_script(const struct ls_slots *s, const struct ls_slurm_opts *o, FILE *out,
                          struct ls_error *err)
{
    fputs("#!/bin/sh\n# Slurm jobs for ", out);
    for (const char *p = s->path; *p; p++) /* a comment line: no line break from the path */
        fputc(*p == '\n' || *p == '\r' ? '?' : *p, out);
    fputs("\n# (llcslice slots --dry-run --slurm). Pipe into sh to submit them with sbatch.\n"
          "# Each job runs 'llcslice run' (${LLCSLICE:-llcslice}) on the node Slurm picks;\n"
          "# a job with after: (and each repeat) starts once the jobs before it succeeded.\n"
          "set -e\n"
          "submit() { id=$(sbatch --parsable \"$@\") && echo \"${id%%;*}\"; }\n",
          out);
    if (o->log_dir) { /* sbatch --output needs the directory (local runs create it too) */
        fputs("mkdir -p -- ", out);
        sh_word(out, o->log_dir);
        fputc('\n', out);
    }
    for (size_t k = 0; k < s->njobs; k++) {
        size_t i = s->order[k];
        const struct ls_slot_job *j = &s->jobs[i];
        _cleanup_free_ char *body = NULL;
        size_t len = 0;
        FILE *b = open_memstream(&body, &len);
        if (!b)
            return ls_fail(err, LS_ERR_SYSTEM, errno, "out of memory");
        job_body(b, j, o);
        if (fclose(b) != 0)
            return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        char delim[64];
        pick_delim(body, delim, sizeof(delim));
        for (unsigned r = 1; r <= j->repeat; r++) {
            fprintf(out, "\n# job '%s'", j->name);
            if (j->repeat > 1)
                fprintf(out, ", run %u of %u", r, j->repeat);
            fprintf(out, "\nj%zu_%u=$(submit", i, r);
            if (r > 1) {
                fprintf(out, " --dependency=afterok:$j%zu_%u", i, r - 1);
            } else if (j->nafter) {
                fputs(" --dependency=afterok", out);
                for (size_t a = 0; a < j->nafter; a++)
                    fprintf(out, ":$j%zu_%u", j->after[a], s->jobs[j->after[a]].repeat);
            }
            if (o->log_dir) {
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "--output=%s/%s.%%j.log", o->log_dir, j->name) < 0)
                    return ls_fail(err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
                fputc(' ', out);
                sh_word(out, path);
            }
            fprintf(out, " <<'%s'\n%s%s\n)\n", delim, body, delim);
            fprintf(out, "echo \"%s", j->name);
            if (j->repeat > 1)
                fprintf(out, " (run %u)", r);
            fprintf(out, ": Slurm job $j%zu_%u\" >&2\n", i, r);
        }
    }
    if (fflush(out) != 0 || ferror(out))
        return ls_fail(err, LS_ERR_SYSTEM, errno ? errno : EIO, "cannot write the script: %s",
                       strerror(errno ? errno : EIO));
    return 0;
}

/* The job ids the script kept in $jI_R, one a line in file order (job, then run), to `path`. */
static void ids_trailer(const struct ls_slots *s, const char *path, FILE *out)
{
    fputs("\nprintf '%s\\n'", out);
    for (size_t i = 0; i < s->njobs; i++)
        for (unsigned r = 1; r <= s->jobs[i].repeat; r++)
            fprintf(out, " \"$j%zu_%u\"", i, r);
    fputs(" >", out);
    sh_word(out, path);
    fputc('\n', out);
}

static int read_ids(const struct ls_slots *s, int fd, unsigned long **ids, struct ls_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < s->njobs; i++)
        total += s->jobs[i].repeat;
    _cleanup_free_ unsigned long *v = calloc(total ? total : 1, sizeof(*v));
    FILE *f = v ? fdopen(dup(fd), "r") : NULL;
    if (!f)
        return ls_fail(err, LS_ERR_SYSTEM, errno, "cannot read the job ids: %s", strerror(errno));
    size_t k = 0;
    char line[64];
    while (k < total && fgets(line, sizeof(line), f)) {
        char *end;
        errno = 0;
        v[k] = strtoul(line, &end, 10);
        if (errno || end == line || !v[k])
            break;
        k++;
    }
    fclose(f);
    if (k != total)
        return ls_fail(err, LS_ERR_SYSTEM, EIO,
                       "sbatch printed %zu job ids for %zu jobs and repeats; the jobs stay "
                       "queued (squeue), cancel them with scancel if needed",
                       k, total);
    *ids = v;
    v = NULL;
    return 0;
}

int ls_slots_slurm_submit(const struct ls_slots *s, const struct ls_slurm_opts *o,
                          unsigned long **ids)
{
    struct ls_error err = {0};
    const char *tmp = getenv("TMPDIR");
    _cleanup_free_ char *idpath = NULL;
    if (asprintf(&idpath, "%s/llcslice-slurm-ids.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
        ls_fail(&err, LS_ERR_SYSTEM, ENOMEM, "out of memory");
        return ls_report(&err);
    }
    _cleanup_close_ int idfd = mkostemp(idpath, O_CLOEXEC);
    if (idfd < 0) {
        ls_fail(&err, LS_ERR_SYSTEM, errno, "cannot create %s for the job ids: %s", idpath,
                strerror(errno));
        return ls_report(&err);
    }
    fflush(stdout);
    FILE *sh = popen("/bin/sh -s", "w");
    if (!sh) {
        ls_fail(&err, LS_ERR_SYSTEM, errno, "cannot start /bin/sh to run sbatch: %s",
                strerror(errno));
        return ls_report(&err);
    }
    /* sh stopping early (a failed sbatch under set -e) must not kill us with SIGPIPE */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigaction(SIGPIPE, &ign, &old);
    int wrc = ls_slots_slurm_script(s, o, sh, &err);
    if (wrc == 0)
        ids_trailer(s, idpath, sh);
    int status = pclose(sh);
    sigaction(SIGPIPE, &old, NULL);
    if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        unlink(idpath);
    if (status < 0) {
        ls_fail(&err, LS_ERR_SYSTEM, errno, "waiting for /bin/sh: %s", strerror(errno));
        return ls_report(&err);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        /* sbatch said why on stderr; what was submitted before it stays queued */
        ls_fail(&err, LS_ERR_SYSTEM, EIO,
                "submitting to Slurm stopped (sh %s %d); jobs already submitted stay queued "
                "(squeue), cancel them with scancel if needed",
                WIFEXITED(status) ? "exited" : "killed by signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return ls_report(&err);
    }
    if (wrc < 0 || read_ids(s, idfd, ids, &err) < 0) { /* sh succeeded on part of it */
        unlink(idpath);
        return ls_report(&err);
    }
    unlink(idpath);
    return 0;
}
