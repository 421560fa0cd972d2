/* /proc/self/mountinfo: which mount (device, fstype) holds a path. /proc/locks names files
 * by the superblock's device, which mountinfo reports and stat() may not (btrfs
 * subvolumes, overlayfs). */
#include "lockfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "mountinfo.h"

/* Decode the kernel's \ooo escapes (space, tab, newline, backslash) in place. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

static bool parse_uint(const char *s, size_t len, unsigned *out)
{
    if (len == 0 || len > 9)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* "major:minor", decimal in mountinfo (unlike /proc/locks). */
static bool parse_devnum(const char *s, unsigned *major, unsigned *minor)
{
    const char *colon = strchr(s, ':');
    return colon && parse_uint(s, (size_t)(colon - s), major) &&
           parse_uint(colon + 1, strlen(colon + 1), minor);
}

bool ls_mountinfo_parse_line(char *line, struct ls_mountinfo_entry *e)
{
    memset(e, 0, sizeof(*e));
    char *f[6], *save = NULL;
    char *tok = strtok_r(line, " ", &save);
    for (int i = 0; i < 6; i++) {
        if (!tok)
            return false;
        f[i] = tok;
        tok = strtok_r(NULL, " ", &save);
    }
    while (tok && strcmp(tok, "-") != 0) /* optional fields */
        tok = strtok_r(NULL, " ", &save);
    if (!tok)
        return false;
    e->fstype = strtok_r(NULL, " ", &save);
    e->source = e->fstype ? strtok_r(NULL, " ", &save) : NULL;
    e->super = e->source ? strtok_r(NULL, " ", &save) : NULL;
    e->numbers_ok = parse_uint(f[0], strlen(f[0]), &e->id) &&
                    parse_uint(f[1], strlen(f[1]), &e->parent) &&
                    parse_devnum(f[2], &e->major, &e->minor);
    e->root = f[3];
    e->point = f[4];
    unescape(e->root);
    unescape(e->point);
    if (e->fstype)
        unescape(e->fstype);
    return true;
}

/* Does mount point `mp` contain `path`? */
static bool covers(const char *mp, const char *path)
{
    size_t n = strlen(mp);
    if (n == 1 && mp[0] == '/')
        return path[0] == '/';
    return strncmp(path, mp, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

int ls_mountinfo_device(const char *text, const char *path, unsigned *major, unsigned *minor,
                        char *fstype, size_t fstype_size)
{
    bool found = false;
    size_t best_len = 0;
    unsigned best_parent = 0;
    _cleanup_free_ char *copy = strdup(text);
    if (!copy)
        return -1; /* errno ENOMEM */
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        struct ls_mountinfo_entry e;
        if (!ls_mountinfo_parse_line(line, &e) || !e.numbers_ok || !e.fstype ||
            strlen(e.point) >= 4096 || !covers(e.point, path))
            continue;
        size_t mlen = strlen(e.point);
        if (found && mlen < best_len)
            continue;
        /* On one mount point the topmost mount wins: keep the best unless the new line
         * is the mount it was stacked on. */
        if (found && mlen == best_len && e.id == best_parent)
            continue;
        found = true;
        best_len = mlen;
        best_parent = e.parent;
        *major = e.major;
        *minor = e.minor;
        if (fstype && fstype_size)
            snprintf(fstype, fstype_size, "%s", strlen(e.fstype) < fstype_size ? e.fstype : "");
    }
    if (!found) {
        errno = ENOENT;
        return -1;
    }
    return 0;
}

/* Filesystems whose flock is per-client (not seen by other hosts) or emulated by a
 * userspace daemon: a lock taken there does not exclude anyone reliably. */
static const struct {
    unsigned long long magic;
    const char *name;
} unsafe_magic[] = {
    {0x6969, "NFS"},      {0x517B, "CIFS/SMB"}, {0xFF534D42, "CIFS/SMB"}, {0xFE534D42, "CIFS/SMB"},
    {0x00C36400, "Ceph"}, {0x5346414F, "AFS"},  {0x6B414653, "AFS"},      {0x65735546, "FUSE"},
    {0x73757245, "Coda"}, {0x01021997, "9p"},   {0x0BD00BD0, "Lustre"},   {0x564C, "NCP"},
};

static const struct {
    const char *fstype; /* exact, or a prefix when it ends in '.' */
    const char *name;
} unsafe_fstype[] = {
    {"nfs", "NFS"},        {"nfs4", "NFS"},     {"cifs", "CIFS/SMB"}, {"smb3", "CIFS/SMB"},
    {"smbfs", "CIFS/SMB"}, {"ceph", "Ceph"},    {"afs", "AFS"},       {"openafs", "AFS"},
    {"fuse", "FUSE"},      {"fuseblk", "FUSE"}, {"fuse.", "FUSE"},    {"virtiofs", "FUSE"},
    {"coda", "Coda"},      {"9p", "9p"},        {"lustre", "Lustre"}, {"ncpfs", "NCP"},
    {"glusterfs", "FUSE"}, {"sshfs", "FUSE"},
};

const char *ls_fs_flock_unsafe(unsigned long long f_type, const char *fstype)
{
    for (size_t i = 0; i < sizeof(unsafe_magic) / sizeof(unsafe_magic[0]); i++)
        if (f_type == unsafe_magic[i].magic)
            return unsafe_magic[i].name;
    if (!fstype || !*fstype)
        return NULL;
    for (size_t i = 0; i < sizeof(unsafe_fstype) / sizeof(unsafe_fstype[0]); i++) {
        const char *t = unsafe_fstype[i].fstype;
        size_t n = strlen(t);
        if (t[n - 1] == '.' ? strncmp(fstype, t, n) == 0 : strcmp(fstype, t) == 0)
            return unsafe_fstype[i].name;
    }
    return NULL;
}
