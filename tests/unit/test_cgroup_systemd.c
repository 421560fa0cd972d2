/* The systemd cgroup manager's pure parts: manager names, unit-safe job names, the cgroupfs
 * refusal inside a systemd unit without delegation (on a real directory tree with real xattrs),
 * and the slot-file key. The bus side runs in the systemd VM guest (tests/vm/systemd-run.sh). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup/systemd.h"
#include "configs/slots.h"

static void manager_names(void **state)
{
    (void)state;
    struct ls_error err = {0};
    enum ls_cg_manager m;
    assert_int_equal(ls_cg_manager_parse("systemd", "--cgroup-manager", &m, &err), 0);
    assert_int_equal(m, LS_CGM_SYSTEMD);
    assert_int_equal(ls_cg_manager_parse("cgroupfs", "--cgroup-manager", &m, &err), 0);
    assert_int_equal(m, LS_CGM_CGROUPFS);
    assert_int_equal(ls_cg_manager_parse("auto", "--cgroup-manager", &m, &err), 0);
    assert_int_equal(m, LS_CGM_AUTO);
    assert_int_equal(ls_cg_manager_parse("Systemd", "--cgroup-manager", &m, &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    assert_non_null(strstr(err.msg, "--cgroup-manager"));
    assert_non_null(strstr(err.msg, "cgroupfs"));
    assert_string_equal(ls_cg_manager_name(LS_CGM_SYSTEMD), "systemd");
}

static void job_names(void **state)
{
    (void)state;
    char out[128];
    ls_systemd_job_name("make", out, sizeof(out));
    assert_string_equal(out, "make");
    ls_systemd_job_name("my job/ä", out, sizeof(out));
    assert_string_equal(out, "my_job___");
    ls_systemd_job_name("x86-defconfig_1.2:a", out, sizeof(out));
    assert_string_equal(out, "x86-defconfig_1.2:a");
    ls_systemd_job_name("", out, sizeof(out));
    assert_string_equal(out, "job");
    ls_systemd_job_name(NULL, out, sizeof(out));
    assert_string_equal(out, "job");
    char longname[200];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    ls_systemd_job_name(longname, out, sizeof(out));
    assert_int_equal(strlen(out), 64);
}

static char root[] = "/tmp/llcslice-test-sd-XXXXXX";

static void mkdirs(const char *rel)
{
    char path[4096], *p;
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    mkdir(path, 0755);
}

static void delegation(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(root));
    mkdirs("ci/runner");
    mkdirs("system.slice/plain.service");
    mkdirs("system.slice/deleg.service/sub");
    struct ls_error err = {0};
    /* No systemd unit on the way: containers, busybox init, hand-made trees. */
    assert_int_equal(ls_systemd_check_delegated(root, "", &err), 0);
    assert_int_equal(ls_systemd_check_delegated(root, "ci/runner", &err), 0);
    /* A unit without Delegate=: refused, with both remedies, not a fallback errno. */
    assert_int_equal(ls_systemd_check_delegated(root, "system.slice/plain.service", &err), -1);
    assert_int_equal(err.category, LS_ERR_SYSTEM);
    assert_int_equal(err.code, EREMOTE);
    assert_non_null(strstr(err.msg, "Delegate=yes"));
    assert_non_null(strstr(err.msg, "--cgroup-manager systemd"));
    assert_non_null(strstr(err.msg, "plain.service"));
    assert_int_equal(ls_systemd_delegation(root, "ci/runner"), LS_DELEG_NONE);
    assert_int_equal(ls_systemd_delegation(root, "system.slice/plain.service"), LS_DELEG_OWNED);
    assert_int_equal(ls_systemd_delegation(root, "system.slice"), LS_DELEG_OWNED);
    assert_int_equal(ls_systemd_check_delegated(root, "system.slice", &err), -1);
    assert_non_null(strstr(err.msg, "slice"));
    assert_non_null(strstr(err.msg, "--cgroup-manager systemd"));
    /* Delegated (systemd sets trusted.delegate): the unit and below are ours. */
    char path[4096];
    snprintf(path, sizeof(path), "%s/system.slice/deleg.service", root);
    if (setxattr(path, "trusted.delegate", "1", 1, 0) < 0 &&
        setxattr(path, "user.delegate", "1", 1, 0) < 0) {
        fprintf(stderr, "no trusted/user xattrs on %s (%s): delegated case not checked\n", root,
                strerror(errno));
    } else {
        assert_int_equal(ls_systemd_check_delegated(root, "system.slice/deleg.service", &err), 0);
        assert_int_equal(ls_systemd_delegation(root, "system.slice/deleg.service/sub"),
                         LS_DELEG_DELEGATED);
        assert_int_equal(ls_systemd_check_delegated(root, "system.slice/deleg.service/sub", &err),
                         0);
    }
    /* A unit inside a delegated one is again its manager's (a nested systemd). */
    mkdirs("system.slice/deleg.service/inner.service");
    assert_int_equal(
        ls_systemd_check_delegated(root, "system.slice/deleg.service/inner.service", &err), -1);
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static void slot_key(void **state)
{
    (void)state;
    struct ls_slots s;
    struct ls_error err = {0};
    const char *good =
        "version: 1\ncgroup_manager: systemd\njobs:\n  - name: a\n    command: true\n";
    assert_int_equal(ls_slots_load_buffer("t.yaml", good, strlen(good), &s, &err), 0);
    assert_string_equal(s.cgroup_manager, "systemd");
    ls_slots_free(&s);
    const char *none = "version: 1\njobs:\n  - name: a\n    command: true\n";
    assert_int_equal(ls_slots_load_buffer("t.yaml", none, strlen(none), &s, &err), 0);
    assert_null(s.cgroup_manager);
    ls_slots_free(&s);
    const char *bad = "version: 1\ncgroup_manager: docker\njobs:\n  - name: a\n    command: true\n";
    assert_int_equal(ls_slots_load_buffer("t.yaml", bad, strlen(bad), &s, &err), -1);
    assert_int_equal(err.category, LS_ERR_USAGE);
    assert_non_null(strstr(err.msg, "cgroup_manager"));
    assert_non_null(strstr(err.msg, "docker"));
    assert_non_null(strstr(err.msg, "t.yaml:2:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(manager_names),
        cmocka_unit_test(job_names),
        cmocka_unit_test(delegation),
        cmocka_unit_test(slot_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
