/* /proc/self/mountinfo: which mount (device, fstype) holds a path. /proc/locks names files
 * by the superblock's device, which mountinfo reports and stat() may not (btrfs
 * subvolumes, overlayfs). */
#include "lockfile.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* One space-separated field of a mountinfo line, still escaped. */
struct field {
    const char *p;
    size_t len;
};

static size_t split(const char *line, size_t len, struct field *f, size_t max)
{
    size_t n = 0, i = 0;
    while (i < len && n < max) {
        while (i < len && line[i] == ' ')
            i++;
        if (i >= len)
            break;
        size_t start = i;
        while (i < len && line[i] != ' ')
            i++;
        f[n].p = line + start;
        f[n].len = i - start;
        n++;
    }
    return n;
}

/* Decode the kernel's \ooo escapes (space, tab, newline, backslash). False if it does not
 * fit in `size`. */
static bool unescape(const struct field *f, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < f->len; i++) {
        char c = f->p[i];
        const char *d = f->p + i + 1;
        if (c == '\\' && i + 3 < f->len && d[0] >= '0' && d[0] <= '3' && d[1] >= '0' &&
            d[1] <= '7' && d[2] >= '0' && d[2] <= '7') {
            c = (char)((d[0] - '0') * 64 + (d[1] - '0') * 8 + (d[2] - '0'));
            i += 3;
        }
        if (o + 1 >= size)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

static bool parse_uint(const struct field *f, unsigned *out)
{
    if (f->len == 0 || f->len > 9)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < f->len; i++) {
        if (f->p[i] < '0' || f->p[i] > '9')
            return false;
        v = v * 10 + (unsigned)(f->p[i] - '0');
    }
    *out = v;
    return true;
}

/* "major:minor", decimal in mountinfo (unlike /proc/locks). */
static bool parse_devnum(const struct field *f, unsigned *major, unsigned *minor)
{
    const char *colon = memchr(f->p, ':', f->len);
    if (!colon)
        return false;
    struct field a = {f->p, (size_t)(colon - f->p)};
    struct field b = {colon + 1, f->len - a.len - 1};
    return parse_uint(&a, major) && parse_uint(&b, minor);
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
    char mp[4096];
    const char *end = text + strlen(text);
    for (const char *line = text; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
        const char *next = nl ? nl + 1 : end;
        struct field f[64];
        size_t n = split(line, len, f, 64);
        line = next;
        /* id parent major:minor root mountpoint options [optional...] - fstype source super */
        unsigned id, parent, ma, mi;
        if (n < 7 || !parse_uint(&f[0], &id) || !parse_uint(&f[1], &parent) ||
            !parse_devnum(&f[2], &ma, &mi) || !unescape(&f[4], mp, sizeof(mp)))
            continue;
        size_t sep = 6;
        while (sep < n && !(f[sep].len == 1 && f[sep].p[0] == '-'))
            sep++;
        if (sep + 1 >= n || !covers(mp, path))
            continue;
        size_t mlen = strlen(mp);
        if (found && mlen < best_len)
            continue;
        /* On one mount point the topmost mount wins: keep the best unless the new line
         * is the mount it was stacked on. */
        if (found && mlen == best_len && id == best_parent)
            continue;
        found = true;
        best_len = mlen;
        best_parent = parent;
        *major = ma;
        *minor = mi;
        if (fstype && fstype_size && !unescape(&f[sep + 1], fstype, fstype_size))
            fstype[0] = '\0';
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
