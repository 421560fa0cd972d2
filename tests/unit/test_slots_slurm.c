/* slots --dry-run --slurm: the sbatch script a slot file becomes (resources, dependencies
 * on the ids of earlier submissions, the llcslice run command line, shell quoting), and that
 * sh accepts it (sh -n). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "configs/slots.h"
#include "planner/cleanup.h"
#include "supervisor/slots/slots_slurm.h"

static const char yaml[] =
    "version: 1\n"
    "mode: dedicated\n"
    "lock_dir: /tmp/x y\n"
    "defaults:\n"
    "  memory_max: 1536M\n"
    "  timeout: 90m\n"
    "  wait: 30s\n"
    "  env: {A: \"it's\"}\n"
    "jobs:\n"
    "  - name: test\n"
    "    after: [build]\n"
    "    cpus: 25%\n"
    "    timeout: 26h\n"
    "    seccomp: build\n"
    "    command: [./run-tests, \"a b\", \"LLCSLICE_SBATCH_EOF\"]\n"
    "  - name: build\n"
    "    cpus: 2\n"
    "    repeat: 2\n"
    "    command: \"make -j\\\"$LLCSLICE_NCPUS\\\"\\nLLCSLICE_SBATCH_EOF\\ntrue\"\n"
    "  - name: vm\n"
    "    perf: 1x2x1\n"
    "    after: [build, test]\n"
    "    command: echo vm\n";

static char *script_for(const struct ls_slurm_opts *o)
{
    struct ls_slots s;
    struct ls_error err = {0};
    if (ls_slots_load_buffer("/srv/ci/f.yaml", yaml, strlen(yaml), &s, &err) < 0)
        fail_msg("load: %s", err.msg);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(ls_slots_slurm_script(&s, o, f, &err), 0);
    fclose(f);
    ls_slots_free(&s);
    return text;
}

/* The text from the line starting with `from` up to the next blank line. */
static char *section(const char *text, const char *from)
{
    const char *p = strstr(text, from);
    if (!p)
        fail_msg("no '%s' in:\n%s", from, text);
    const char *e = strstr(p, "\n\n");
    return strndup(p, e ? (size_t)(e - p) : strlen(p));
}

static void has(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("'%s' missing from:\n%s", needle, text);
}

static void test_resources_and_dependencies(void **state)
{
    (void)state;
    struct ls_slurm_opts o = {.allowed_count = 8, .log_dir = "/srv/logs", .lock_dir = "/tmp/x y"};
    _cleanup_free_ char *text = script_for(&o);

    has(text, "\nmkdir -p -- /srv/logs\n");
    /* build first (test and vm follow it), each repeat after the one before */
    _cleanup_free_ char *b1 = section(text, "# job 'build', run 1 of 2");
    has(b1, "j1_1=$(submit --output=/srv/logs/build.%j.log <<'LLCSLICE_SBATCH_EOF_1'\n");
    has(b1, "#SBATCH --job-name=build\n#SBATCH --cpus-per-task=2\n#SBATCH --mem=1536M\n"
            "#SBATCH --time=0-01:30:00\n");
    has(b1, "export A='it'\\''s'\n");
    has(b1, "exec \"${LLCSLICE:-llcslice}\" run --mode dedicated --cpus 2 --memory-max 1536M "
            "--wait=30s --lock-dir '/tmp/x y' -- /bin/sh -c 'make -j\"$LLCSLICE_NCPUS\"\n"
            "LLCSLICE_SBATCH_EOF\ntrue'\nLLCSLICE_SBATCH_EOF_1\n)\n");
    _cleanup_free_ char *b2 = section(text, "# job 'build', run 2 of 2");
    has(b2, "j1_2=$(submit --dependency=afterok:$j1_1 --output=");

    /* cpus: 25% of the 8 CPUs here; a day and two hours; a clashing delimiter is avoided */
    _cleanup_free_ char *t = section(text, "# job 'test'");
    has(t, "j0_1=$(submit --dependency=afterok:$j1_2 --output=/srv/logs/test.%j.log");
    has(t, "#SBATCH --cpus-per-task=2\n");
    has(t, "#SBATCH --time=1-02:00:00\n");
    has(t, "--cpus 2 --memory-max 1536M --seccomp build --wait=30s");
    has(t, "-- ./run-tests 'a b' LLCSLICE_SBATCH_EOF\nLLCSLICE_SBATCH_EOF\n)"); /* no clash */
    assert_true(strstr(text, "# job 'build'") < strstr(text, "# job 'test'"));

    /* perf in exclusive mode: vCPUs and the service CPU, a whole node */
    _cleanup_free_ char *v = section(text, "# job 'vm'");
    has(v, "j2_1=$(submit --dependency=afterok:$j1_2:$j0_1 ");
    has(v, "#SBATCH --cpus-per-task=3\n#SBATCH --exclusive\n");
    has(v, "run --mode exclusive --perf 1x2x1 --memory-max 1536M");
    assert_null(strstr(v, "--cpus "));
}

static void test_no_log_dir_and_sh_syntax(void **state)
{
    (void)state;
    struct ls_slurm_opts o = {.allowed_count = 8, .lock_prefix = "ktstr"};
    _cleanup_free_ char *text = script_for(&o);
    assert_null(strstr(text, "--output"));
    assert_null(strstr(text, "mkdir"));
    has(text, "--lock-prefix ktstr -- ");
    char path[] = "/tmp/llcslice-slurm-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "sh -n %s", path);
    int rc = system(cmd);
    unlink(path);
    assert_int_equal(rc, 0);
}

/* scontrol show job -o lines (slurm-wlm 22.05, shortened) as slots --slurm follows them. */
static void test_scontrol_lines(void **state)
{
    (void)state;
    struct ls_slurm_job j;
    assert_int_equal(ls_slurm_job_parse("JobId=42 JobName=bad UserId=root(0) JobState=FAILED "
                                        "Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 "
                                        "StartTime=2026-11-29T14:50:01 EndTime=2026-11-29T14:50:02 "
                                        "NodeList=node7 BatchHost=node7 StdOut=/l/bad.42.log\n",
                                        &j),
                     0);
    assert_int_equal(j.id, 42);
    assert_int_equal(j.state, LS_SJ_FAILED);
    assert_true(j.final);
    assert_int_equal(j.exit_code, 3);
    assert_string_equal(j.node, "node7");
    assert_string_equal(j.log, "/l/bad.42.log");
    assert_string_equal(j.reason, "NonZeroExitCode");
    assert_true(j.end - j.start > 0.5 && j.end - j.start < 1.5);
    ls_slurm_job_free(&j);

    /* held by a failed dependency: pending, no node, no start (the forecast is ignored) */
    assert_int_equal(ls_slurm_job_parse("JobId=43 JobName=never JobState=PENDING "
                                        "Reason=DependencyNeverSatisfied ExitCode=0:0 "
                                        "StartTime=Unknown EndTime=Unknown NodeList=(null)",
                                        &j),
                     0);
    assert_int_equal(j.state, LS_SJ_PENDING);
    assert_false(j.final);
    assert_null(j.node);
    assert_int_equal(j.exit_code, -1);
    assert_string_equal(j.reason, "DependencyNeverSatisfied");
    ls_slurm_job_free(&j);

    /* a signal ended it; a job past --time is a timeout */
    assert_int_equal(
        ls_slurm_job_parse("JobId=44 JobState=CANCELLED Reason=None ExitCode=0:15", &j), 0);
    assert_int_equal(j.state, LS_SJ_STOPPED);
    assert_int_equal(j.exit_code, 128 + 15);
    ls_slurm_job_free(&j);
    assert_int_equal(ls_slurm_job_parse("JobId=45 JobState=TIMEOUT ExitCode=0:0", &j), 0);
    assert_int_equal(j.state, LS_SJ_TIMEOUT);
    ls_slurm_job_free(&j);
    assert_int_equal(ls_slurm_job_parse("JobId=46 JobState=OUT_OF_MEMORY ExitCode=0:125", &j), 0);
    assert_int_equal(j.state, LS_SJ_FAILED);
    ls_slurm_job_free(&j);
    assert_int_equal(ls_slurm_job_parse("JobId=47 JobState=COMPLETING ExitCode=0:0", &j), 0);
    assert_int_equal(j.state, LS_SJ_RUNNING);
    assert_false(j.final);
    ls_slurm_job_free(&j);
    /* not a job line; a key inside another value is not the key */
    assert_int_equal(ls_slurm_job_parse("No jobs in the system", &j), -1);
    ls_slurm_job_free(&j);
    assert_int_equal(ls_slurm_job_parse("JobId=48 Comment=XJobState=RUNNING", &j), -1);
    ls_slurm_job_free(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resources_and_dependencies),
        cmocka_unit_test(test_no_log_dir_and_sh_syntax),
        cmocka_unit_test(test_scontrol_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
