// SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-only
//
// The Vigil agent's kernel side: tracepoint programs that report process starts (with argv,
// ids, namespaces, cgroup and what stdin/stdout are), forks, exits, TCP connect/accept/listen
// with both ends, and opens of watched sensitive files, into one ring buffer.
//
// Built by build.rs with `clang -O2 -g -target bpf` and loaded by aya 0.14 (src/ebpf/). Kernel
// structures are declared here by hand, only the fields read, with preserve_access_index so
// their offsets are relocated against the running kernel's BTF (CO-RE); no vmlinux.h needed.
// Record layouts are mirrored by src/ebpf/record.rs: change both together.

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/in6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;

#define PRESERVE __attribute__((preserve_access_index))

// ---- kernel structures (only the fields used) ----
struct kuid_s { u32 val; };
struct cred { struct kuid_s uid; struct kuid_s euid; } PRESERVE;
struct ns_common { unsigned int inum; } PRESERVE;
struct pid_namespace { struct ns_common ns; } PRESERVE;
struct mnt_namespace { struct ns_common ns; } PRESERVE;
struct nsproxy { struct mnt_namespace *mnt_ns; } PRESERVE;
struct upid { int nr; struct pid_namespace *ns; } PRESERVE;
struct pid { unsigned int level; struct upid numbers[1]; } PRESERVE;
struct mm_struct { unsigned long arg_start; unsigned long arg_end; } PRESERVE;
struct inode { unsigned short i_mode; u32 i_rdev; } PRESERVE;
struct file { struct inode *f_inode; void *private_data; } PRESERVE;
struct fdtable { unsigned int max_fds; struct file **fd; } PRESERVE;
struct files_struct { struct fdtable *fdt; } PRESERVE;
struct kernfs_node { const char *name; } PRESERVE;
struct cgroup { struct kernfs_node *kn; } PRESERVE;
struct css_set { struct cgroup *dfl_cgrp; } PRESERVE;
struct qstr { const unsigned char *name; } PRESERVE;
struct dentry { struct dentry *d_parent; struct qstr d_name; } PRESERVE;
struct path { struct dentry *dentry; } PRESERVE;
struct fs_struct { struct path pwd; } PRESERVE;
struct task_struct {
    int pid;
    int tgid;
    struct task_struct *real_parent;
    const struct cred *cred;
    struct mm_struct *mm;
    struct files_struct *files;
    struct nsproxy *nsproxy;
    struct pid *thread_pid;
    struct css_set *cgroups;
    struct fs_struct *fs;
    int exit_code;
} PRESERVE;
struct sock_common {
    u32 skc_daddr;
    u32 skc_rcv_saddr;
    u16 skc_dport;
    u16 skc_num;
    unsigned short skc_family;
    struct in6_addr skc_v6_daddr;
    struct in6_addr skc_v6_rcv_saddr;
} PRESERVE;
struct sock { struct sock_common __sk_common; u16 sk_type; u16 sk_protocol; } PRESERVE;
struct socket { struct sock *sk; } PRESERVE;

// ---- tracepoint contexts (from /sys/kernel/tracing/events/*/format; stable ABI) ----
struct tp_exec { u64 common; u32 filename_loc; s32 pid; s32 old_pid; };
struct tp_sys_enter { u64 common; s64 nr; u64 args[6]; };
struct tp_sys_exit { u64 common; s64 nr; s64 ret; };

// ---- records (little-endian, fixed layout; see src/ebpf/record.rs) ----
#define KIND_EXEC 1
#define KIND_EXIT 2
#define KIND_FORK 3
#define KIND_NET 4
#define KIND_OPEN 5
#define KIND_UID 6
#define KINDS 7

#define ARGV_MAX 4096
#define PATH_MAX_B 256
#define CGROUP_MAX 128

struct hdr { u32 kind; u32 pid; u64 ts_ns; };

struct exec_rec {
    struct hdr h;
    u32 ppid, uid, euid, pid_ns, mnt_ns;
    u8 stdin_kind, stdout_kind;
    u16 argv_len;       // bytes copied into argv
    u32 argv_full_len;  // arg_end - arg_start (more than argv_len: truncated)
    u32 pad;
    char comm[16];
    char cgroup[CGROUP_MAX];
    char filename[PATH_MAX_B];
    char argv[ARGV_MAX];
};

struct exit_rec { struct hdr h; s32 exit_code; u32 pad; };
struct fork_rec { struct hdr h; u32 ppid; u32 pad; };
struct uid_rec { struct hdr h; u32 uid; u32 euid; };

#define DIR_CONNECT 0
#define DIR_ACCEPT 1
#define DIR_LISTEN 2
struct net_rec {
    struct hdr h;
    u8 direction, family;
    u16 sport, dport;  // host byte order
    u16 pad;
    u8 saddr[16], daddr[16];  // IPv4 in the first 4 bytes
    u32 uid, pad2;
};

struct open_rec {
    struct hdr h;
    u32 flags;
    u32 uid;
    s32 dfd;
    u32 pad;
    char path[PATH_MAX_B];
    // For a relative path: the names of the working directory and of its parent, so the file
    // can be placed when the process is gone before /proc/PID/cwd is read.
    char cwd[64];
    char cwd_parent[64];
};

// ---- maps ----
struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4 << 20);
} EVENTS SEC(".maps");

// Records that did not fit in the ring buffer, per kind: the agent reports them as lost
// coverage.
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, KINDS);
    __type(key, u32);
    __type(value, u64);
} LOST SEC(".maps");

// Watched files: absolute paths, and bare file names for opens relative to the working
// directory (the agent resolves and checks those). Key: the name, NUL-padded.
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, char[PATH_MAX_B]);
    __type(value, u8);
} WATCHED SEC(".maps");

// A connect or listen in flight on this thread: the socket fd, read again at the syscall's exit.
struct pending { s32 fd; u32 direction; };
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, u64);
    __type(value, struct pending);
} PENDING SEC(".maps");

// Where an exec record is built before the used part of it is copied to the ring buffer
// (records are mostly much shorter than the 4 KiB argv room).
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, struct exec_rec);
} EXEC_SCRATCH SEC(".maps");

// Scratch for the open filter's key (too big for the 512-byte stack).
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, u32);
    __type(value, char[PATH_MAX_B]);
} SCRATCH SEC(".maps");

static __always_inline void lost(u32 kind) {
    u64 *n = bpf_map_lookup_elem(&LOST, &kind);
    if (n)
        __sync_fetch_and_add(n, 1);
}

static __always_inline void fill_hdr(struct hdr *h, u32 kind, u32 pid) {
    h->kind = kind;
    h->pid = pid;
    h->ts_ns = bpf_ktime_get_ns();
}

static __always_inline struct file *fd_file(struct task_struct *t, s32 fd) {
    struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
    if (!fdt || fd < 0)
        return 0;
    unsigned int max = BPF_CORE_READ(fdt, max_fds);
    if ((unsigned int)fd >= max)
        return 0;
    struct file **fds = BPF_CORE_READ(fdt, fd);
    struct file *f = 0;
    bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
    return f;
}

// What an fd is, as FdKind: 0 unknown, 1 file, 2 pipe, 3 socket, 4 tty, 5 null, 6 other.
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFIFO 0010000
#define S_IFCHR 0020000
#define S_IFREG 0100000
#define S_IFDIR 0040000
static __always_inline u8 fd_kind(struct task_struct *t, s32 fd) {
    struct file *f = fd_file(t, fd);
    if (!f)
        return 0;
    struct inode *ino = BPF_CORE_READ(f, f_inode);
    if (!ino)
        return 0;
    u16 mode = BPF_CORE_READ(ino, i_mode) & S_IFMT;
    if (mode == S_IFSOCK)
        return 3;
    if (mode == S_IFIFO)
        return 2;
    if (mode == S_IFREG || mode == S_IFDIR)
        return 1;
    if (mode == S_IFCHR) {
        u32 rdev = BPF_CORE_READ(ino, i_rdev);
        u32 major = rdev >> 20, minor = rdev & 0xfffff;
        if (major == 1 && minor == 3)
            return 5;
        // tty, console/ptmx, pty slaves (Unix98 ptys: 136-143)
        if (major == 4 || major == 5 || (major >= 136 && major <= 143))
            return 4;
        return 6;
    }
    return 6;
}

SEC("tracepoint/sched/sched_process_exec")
int vigil_exec(struct tp_exec *ctx) {
    u32 zero = 0;
    struct exec_rec *r = bpf_map_lookup_elem(&EXEC_SCRATCH, &zero);
    if (!r)
        return 0;
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    u64 id = bpf_get_current_pid_tgid();
    fill_hdr(&r->h, KIND_EXEC, id >> 32);
    r->ppid = BPF_CORE_READ(t, real_parent, tgid);
    r->uid = BPF_CORE_READ(t, cred, uid.val);
    r->euid = BPF_CORE_READ(t, cred, euid.val);
    r->mnt_ns = BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);
    struct pid *p = BPF_CORE_READ(t, thread_pid);
    unsigned int level = BPF_CORE_READ(p, level);
    struct pid_namespace *pns = 0;
    bpf_probe_read_kernel(&pns, sizeof(pns), &p->numbers[level & 31].ns);
    r->pid_ns = pns ? BPF_CORE_READ(pns, ns.inum) : 0;
    r->stdin_kind = fd_kind(t, 0);
    r->stdout_kind = fd_kind(t, 1);
    r->pad = 0;
    bpf_get_current_comm(r->comm, sizeof(r->comm));
    const char *cg = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, name);
    if (!cg || bpf_probe_read_kernel_str(r->cgroup, sizeof(r->cgroup), cg) < 0)
        r->cgroup[0] = 0;
    u32 loc = ctx->filename_loc & 0xffff;
    if (bpf_probe_read_kernel_str(r->filename, sizeof(r->filename), (char *)ctx + loc) < 0)
        r->filename[0] = 0;
    unsigned long start = BPF_CORE_READ(t, mm, arg_start);
    unsigned long end = BPF_CORE_READ(t, mm, arg_end);
    u64 len = end > start ? end - start : 0;
    r->argv_full_len = len > 0xffffffff ? 0xffffffff : (u32)len;
    if (len > ARGV_MAX - 1)
        len = ARGV_MAX - 1;
    u32 n = (u32)len & (ARGV_MAX - 1);  // the bound the verifier checks
    if (n > 0 && bpf_probe_read_user(r->argv, n, (void *)start) == 0)
        r->argv_len = n;
    else
        r->argv_len = 0;
    u64 size = __builtin_offsetof(struct exec_rec, argv) + (r->argv_len & (ARGV_MAX - 1));
    if (bpf_ringbuf_output(&EVENTS, r, size, 0) != 0)
        lost(KIND_EXEC);
    return 0;
}

SEC("raw_tracepoint/sched_process_fork")
int vigil_fork(struct bpf_raw_tracepoint_args *ctx) {
    struct task_struct *parent = (struct task_struct *)ctx->args[0];
    struct task_struct *child = (struct task_struct *)ctx->args[1];
    int tgid = BPF_CORE_READ(child, tgid);
    if (BPF_CORE_READ(child, pid) != tgid)
        return 0;  // a new thread, not a process
    struct fork_rec *r = bpf_ringbuf_reserve(&EVENTS, sizeof(*r), 0);
    if (!r) {
        lost(KIND_FORK);
        return 0;
    }
    fill_hdr(&r->h, KIND_FORK, tgid);
    r->ppid = BPF_CORE_READ(parent, tgid);
    r->pad = 0;
    bpf_ringbuf_submit(r, 0);
    return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int vigil_exit(void *ctx) {
    u64 id = bpf_get_current_pid_tgid();
    if ((u32)id != (u32)(id >> 32))
        return 0;  // a thread other than the leader
    struct exit_rec *r = bpf_ringbuf_reserve(&EVENTS, sizeof(*r), 0);
    if (!r) {
        lost(KIND_EXIT);
        return 0;
    }
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    fill_hdr(&r->h, KIND_EXIT, id >> 32);
    r->exit_code = BPF_CORE_READ(t, exit_code);
    r->pad = 0;
    bpf_ringbuf_submit(r, 0);
    return 0;
}

// A thread changed its user ids (setuid family; what the process connector reports as UID).
static __always_inline int uid_changed(s64 ret) {
    if (ret != 0)
        return 0;
    u64 id = bpf_get_current_pid_tgid();
    if ((u32)id != (u32)(id >> 32))
        return 0;
    struct uid_rec *r = bpf_ringbuf_reserve(&EVENTS, sizeof(*r), 0);
    if (!r) {
        lost(KIND_UID);
        return 0;
    }
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    fill_hdr(&r->h, KIND_UID, id >> 32);
    r->uid = BPF_CORE_READ(t, cred, uid.val);
    r->euid = BPF_CORE_READ(t, cred, euid.val);
    bpf_ringbuf_submit(r, 0);
    return 0;
}

SEC("tracepoint/syscalls/sys_exit_setuid")
int vigil_setuid(struct tp_sys_exit *ctx) { return uid_changed(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_setreuid")
int vigil_setreuid(struct tp_sys_exit *ctx) { return uid_changed(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_setresuid")
int vigil_setresuid(struct tp_sys_exit *ctx) { return uid_changed(ctx->ret); }

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define IPPROTO_TCP 6
#define EINPROGRESS 115

static __always_inline int emit_sock(s32 fd, u32 direction) {
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    struct file *f = fd_file(t, fd);
    if (!f)
        return 0;
    u16 mode = BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT;
    if (mode != S_IFSOCK)
        return 0;
    struct socket *so = BPF_CORE_READ(f, private_data);
    struct sock *sk = BPF_CORE_READ(so, sk);
    if (!sk)
        return 0;
    u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
    if (family != AF_INET && family != AF_INET6)
        return 0;
    if (BPF_CORE_READ(sk, sk_type) != SOCK_STREAM || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
        return 0;
    struct net_rec *r = bpf_ringbuf_reserve(&EVENTS, sizeof(*r), 0);
    if (!r) {
        lost(KIND_NET);
        return 0;
    }
    fill_hdr(&r->h, KIND_NET, bpf_get_current_pid_tgid() >> 32);
    r->direction = direction;
    r->family = family;
    r->pad = 0;
    r->pad2 = 0;
    r->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
    r->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
    __builtin_memset(r->saddr, 0, 16);
    __builtin_memset(r->daddr, 0, 16);
    if (family == AF_INET) {
        u32 s = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
        u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
        __builtin_memcpy(r->saddr, &s, 4);
        __builtin_memcpy(r->daddr, &d, 4);
    } else {
        BPF_CORE_READ_INTO(&r->saddr, sk, __sk_common.skc_v6_rcv_saddr);
        BPF_CORE_READ_INTO(&r->daddr, sk, __sk_common.skc_v6_daddr);
    }
    r->uid = (u32)bpf_get_current_uid_gid();
    bpf_ringbuf_submit(r, 0);
    return 0;
}

static __always_inline int remember(s32 fd, u32 direction) {
    u64 id = bpf_get_current_pid_tgid();
    struct pending p = {.fd = fd, .direction = direction};
    bpf_map_update_elem(&PENDING, &id, &p, BPF_ANY);
    return 0;
}

static __always_inline int finish(s64 ret) {
    u64 id = bpf_get_current_pid_tgid();
    struct pending *p = bpf_map_lookup_elem(&PENDING, &id);
    if (!p)
        return 0;
    struct pending copy = *p;
    bpf_map_delete_elem(&PENDING, &id);
    if (ret == 0 || (copy.direction == DIR_CONNECT && ret == -EINPROGRESS))
        emit_sock(copy.fd, copy.direction);
    return 0;
}

SEC("tracepoint/syscalls/sys_enter_connect")
int vigil_connect_enter(struct tp_sys_enter *ctx) { return remember((s32)ctx->args[0], DIR_CONNECT); }

SEC("tracepoint/syscalls/sys_exit_connect")
int vigil_connect_exit(struct tp_sys_exit *ctx) { return finish(ctx->ret); }

SEC("tracepoint/syscalls/sys_enter_listen")
int vigil_listen_enter(struct tp_sys_enter *ctx) { return remember((s32)ctx->args[0], DIR_LISTEN); }

SEC("tracepoint/syscalls/sys_exit_listen")
int vigil_listen_exit(struct tp_sys_exit *ctx) { return finish(ctx->ret); }

SEC("tracepoint/syscalls/sys_exit_accept4")
int vigil_accept4_exit(struct tp_sys_exit *ctx) {
    if (ctx->ret >= 0)
        emit_sock((s32)ctx->ret, DIR_ACCEPT);
    return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int vigil_accept_exit(struct tp_sys_exit *ctx) {
    if (ctx->ret >= 0)
        emit_sock((s32)ctx->ret, DIR_ACCEPT);
    return 0;
}

#define AT_FDCWD -100

static __always_inline int open_common(s32 dfd, const char *name, u32 flags) {
    u32 zero = 0;
    char *key = bpf_map_lookup_elem(&SCRATCH, &zero);
    if (!key)
        return 0;
    __builtin_memset(key, 0, PATH_MAX_B);
    long n = bpf_probe_read_user_str(key, PATH_MAX_B, name);
    if (n <= 1)
        return 0;
    if (!bpf_map_lookup_elem(&WATCHED, key))
        return 0;
    struct open_rec *r = bpf_ringbuf_reserve(&EVENTS, sizeof(*r), 0);
    if (!r) {
        lost(KIND_OPEN);
        return 0;
    }
    fill_hdr(&r->h, KIND_OPEN, bpf_get_current_pid_tgid() >> 32);
    r->flags = flags;
    r->uid = (u32)bpf_get_current_uid_gid();
    r->dfd = dfd;
    r->pad = 0;
    __builtin_memcpy(r->path, key, PATH_MAX_B);
    r->cwd[0] = 0;
    r->cwd_parent[0] = 0;
    if (key[0] != '/') {
        struct task_struct *t = (struct task_struct *)bpf_get_current_task();
        struct dentry *d = BPF_CORE_READ(t, fs, pwd.dentry);
        const unsigned char *nm = BPF_CORE_READ(d, d_name.name);
        if (nm)
            bpf_probe_read_kernel_str(r->cwd, sizeof(r->cwd), nm);
        struct dentry *up = BPF_CORE_READ(d, d_parent);
        nm = up ? BPF_CORE_READ(up, d_name.name) : 0;
        if (nm)
            bpf_probe_read_kernel_str(r->cwd_parent, sizeof(r->cwd_parent), nm);
    }
    bpf_ringbuf_submit(r, 0);
    return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int vigil_openat(struct tp_sys_enter *ctx) {
    return open_common((s32)ctx->args[0], (const char *)ctx->args[1], (u32)ctx->args[2]);
}

// The legacy open(2) (x86-64): no dfd, relative to the working directory.
SEC("tracepoint/syscalls/sys_enter_open")
int vigil_open(struct tp_sys_enter *ctx) {
    return open_common(AT_FDCWD, (const char *)ctx->args[0], (u32)ctx->args[1]);
}

// The kernel allows the GPL-only helpers (probe_read) to GPL-compatible programs.
char LICENSE[] SEC("license") = "GPL";
