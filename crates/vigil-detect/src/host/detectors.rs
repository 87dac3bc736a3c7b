//! What a single host observation says, with the process tree for context: the patterns of
//! container escape, privilege escalation, discovery, credential access, reverse shells,
//! download-and-execute and cryptominers. Each verdict is a [`Stage`] with its strength; the
//! caller turns it into a finding.

use super::tree::{Proc, base_name};
use crate::finding::mitre;
use vigil_model::MitreRef;

/// The step of a host intrusion a verdict belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    ContainerEscape,
    DockerSocket,
    PrivilegeEscalation,
    Discovery,
    CredentialAccess,
    ReverseShell,
    DownloadExecute,
    Cryptominer,
    /// An application did what its baseline never saw (supporting evidence only).
    AppNovelty(super::apps::AppDimension),
}

/// One detector's verdict.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub stage: Stage,
    /// What was seen, for the finding's explanation.
    pub why: String,
    pub mitre: MitreRef,
    /// A weak form (a miner port with no other sign, a metadata read by a tool): evidence only.
    pub weak: bool,
}

fn v(stage: Stage, why: String, m: MitreRef) -> Verdict {
    Verdict {
        stage,
        why,
        mitre: m,
        weak: false,
    }
}

const SHELLS: [&str; 9] = [
    "sh", "bash", "dash", "zsh", "ksh", "ash", "busybox", "mksh", "fish",
];
/// Tools people (and intruders) fetch things with; agents that talk to the metadata service
/// (SSM, cloud-init) are not among them.
const FETCHERS: [&str; 8] = [
    "curl", "wget", "nc", "ncat", "python", "python3", "perl", "socat",
];
const MINER_NAMES: [&str; 5] = ["xmrig", "minerd", "cpuminer", "xmr-stak", "ethminer"];
const POOL_MARKS: [&str; 8] = [
    "stratum+tcp://",
    "stratum+ssl://",
    "stratum2+tcp://",
    "minexmr",
    "nanopool.org",
    "supportxmr",
    "2miners.com",
    "moneroocean",
];
pub const MINER_PORTS: [u16; 5] = [3333, 4444, 5555, 7777, 14444];
const METADATA_IPS: [&str; 2] = ["169.254.169.254", "fd00:ec2::254"];
const CREDENTIAL_FILES: [&str; 7] = [
    "/.aws/credentials",
    "/.aws/config",
    "/.config/gcloud/credentials.db",
    "/.config/gcloud/application_default_credentials.json",
    "/.azure/accesstokens.json",
    "/.docker/config.json",
    "/etc/shadow",
];

/// Programs whose reads of the cloud credential files are their ordinary work.
const CREDENTIAL_OWNERS: [&str; 6] = [
    "aws",
    "aws_completer",
    "terraform",
    "gcloud",
    "az",
    "session-manager-plugin",
];

pub fn is_shell(name: &str) -> bool {
    SHELLS.contains(&name)
}

pub fn is_fetcher(name: &str) -> bool {
    FETCHERS.contains(&name) || name.starts_with("python")
}

pub fn is_metadata_ip(ip: &str) -> bool {
    METADATA_IPS.contains(&ip)
}

/// A credential file path (home-relative files match under any home).
pub fn credential_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    CREDENTIAL_FILES.iter().any(|f| lower.ends_with(f))
}

/// An address outside the machine and its private networks.
pub fn is_outside(ip: &str) -> bool {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => {
            !(a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || a.octets()[0] == 100 && (64..128).contains(&a.octets()[1]))
        }
        Ok(std::net::IpAddr::V6(a)) => {
            !(a.is_loopback() || a.is_unspecified() || (a.segments()[0] & 0xfe00) == 0xfc00)
        }
        Err(_) => false,
    }
}

/// Checks run on a new process, given its parents (nearest first) and the host's own
/// namespaces when known.
pub fn on_start(
    p: &Proc,
    parents: &[&Proc],
    host_ns: (Option<u64>, Option<u64>),
    recent_download: bool,
    out: &mut Vec<Verdict>,
) {
    let name = p.name();
    let cmd = p.cmdline.as_str();
    let lower = cmd.to_ascii_lowercase();
    let parent = parents.first().copied();
    let containerised =
        p.container_id.is_some() || host_ns.0.is_some_and(|h| p.pid_ns.is_some_and(|n| n != h));

    // Container escape: a process in the host's namespaces whose parent runs in a container's.
    if let Some(par) = parent {
        let into_host = |mine: Option<u64>, theirs: Option<u64>, host: Option<u64>| {
            matches!((mine, theirs), (Some(m), Some(t)) if m != t)
                && host.is_none_or(|h| mine == Some(h))
        };
        let par_contained = par.container_id.is_some()
            || host_ns
                .0
                .is_some_and(|h| par.pid_ns.is_some_and(|n| n != h));
        if par_contained
            && (into_host(p.pid_ns, par.pid_ns, host_ns.0)
                || into_host(p.mnt_ns, par.mnt_ns, host_ns.1))
        {
            out.push(v(
                Stage::ContainerEscape,
                format!(
                    "{} entered the host's namespaces from {}'s container namespaces",
                    p.label(),
                    par.label()
                ),
                mitre("TA0004", "T1611"),
            ));
        }
    }
    if containerised {
        let args: Vec<&str> = cmd.split_whitespace().collect();
        let target_host = args
            .windows(2)
            .any(|w| matches!(w, ["-t", "1"] | ["--target", "1"]))
            || args.contains(&"--target=1");
        if name == "nsenter" && target_host {
            out.push(v(
                Stage::ContainerEscape,
                format!("`{cmd}` in a container enters PID 1's namespaces"),
                mitre("TA0004", "T1611"),
            ));
        }
        if name == "mount"
            && args.iter().skip(1).any(|a| {
                [
                    "/dev/sd",
                    "/dev/nvme",
                    "/dev/xvd",
                    "/dev/vd",
                    "/dev/dm-",
                    "/dev/mapper/",
                ]
                .iter()
                .any(|d| a.starts_with(d))
            })
        {
            out.push(v(
                Stage::ContainerEscape,
                format!("`{cmd}` mounts a host disk inside a container"),
                mitre("TA0004", "T1611"),
            ));
        }
        if lower.contains("release_agent") || lower.contains("notify_on_release") {
            out.push(v(
                Stage::ContainerEscape,
                format!("`{cmd}` touches a cgroup release_agent"),
                mitre("TA0004", "T1611"),
            ));
        }
        if lower.contains("docker.sock") {
            out.push(v(
                Stage::DockerSocket,
                format!("`{cmd}` in a container uses the Docker socket"),
                mitre("TA0004", "T1611"),
            ));
        }
    }
    // Privilege escalation: root from a non-root parent.
    if let Some(par) = parent
        && p.euid == 0
        && par.euid != 0
    {
        let how = match name {
            "sudo" | "su" | "pkexec" | "doas" => name.to_string(),
            _ => "a setuid binary".to_string(),
        };
        let technique = if how == "a setuid binary" {
            "T1548.001"
        } else {
            "T1548.003"
        };
        out.push(v(
            Stage::PrivilegeEscalation,
            format!(
                "{} runs as root (euid 0) under {} (euid {}) via {how}",
                p.label(),
                par.label(),
                par.euid
            ),
            mitre("TA0004", technique),
        ));
    }
    // Discovery.
    let arg1 = cmd.split_whitespace().nth(1).unwrap_or("");
    let discovery = match name {
        "whoami" | "id" | "groups" => Some("T1033"),
        "uname" | "hostname" | "lsb_release" => Some("T1082"),
        "ps" | "pstree" => Some("T1057"),
        "netstat" | "ss" | "ifconfig" | "ip" | "arp" => Some("T1049"),
        "cat" | "head" | "less" | "more" if arg1 == "/etc/passwd" || arg1 == "/etc/group" => {
            Some("T1087.001")
        }
        _ => None,
    };
    if let Some(t) = discovery {
        out.push(v(
            Stage::Discovery,
            format!("`{cmd}` (pid {})", p.pid),
            mitre("TA0007", t),
        ));
    }
    if is_fetcher(name) && lower.contains("169.254.169.254") {
        let creds =
            lower.contains("security-credentials") || lower.contains("/identity-credentials");
        out.push(if creds {
            v(
                Stage::CredentialAccess,
                format!("`{cmd}` asks the instance metadata service for role credentials"),
                mitre("TA0006", "T1552.005"),
            )
        } else {
            v(
                Stage::Discovery,
                format!("`{cmd}` queries the instance metadata service"),
                mitre("TA0007", "T1580"),
            )
        });
    }
    // Credential hunting in files.
    if (name == "grep" || name == "rg" || name == "egrep")
        && (cmd.contains("AKIA")
            || lower.contains("aws_secret_access_key")
            || lower.contains("password"))
        || (name == "cat" && credential_file(arg1))
    {
        out.push(v(
            Stage::CredentialAccess,
            format!("`{cmd}` searches for or reads credentials"),
            mitre("TA0006", "T1552.001"),
        ));
    }
    // Reverse shell: a shell talking through a socket, or told to.
    let socket_io = p.socket_io;
    if is_shell(name) && socket_io {
        out.push(v(
            Stage::ReverseShell,
            format!("shell {} has a socket for stdin/stdout", p.label()),
            mitre("TA0002", "T1059.004"),
        ));
    }
    if lower.contains("/dev/tcp/")
        || lower.contains("/dev/udp/")
        || ((name == "nc" || name == "ncat" || name == "netcat")
            && (cmd.contains(" -e ") || cmd.contains(" -c ")))
        || (name == "socat" && lower.contains("exec:"))
    {
        out.push(v(
            Stage::ReverseShell,
            format!("`{cmd}` connects a shell to the network"),
            mitre("TA0011", "T1095"),
        ));
    }
    // Download and execute.
    let piped_to_shell = (lower.contains("curl ") || lower.contains("wget "))
        && ["| sh", "|sh", "| bash", "|bash"]
            .iter()
            .any(|s| lower.contains(s));
    if piped_to_shell {
        out.push(v(
            Stage::DownloadExecute,
            format!("`{cmd}` runs a downloaded script"),
            mitre("TA0002", "T1059.004"),
        ));
    }
    let tmp_exe = ["/tmp/", "/var/tmp/", "/dev/shm/"]
        .iter()
        .any(|d| p.exe.starts_with(d));
    if tmp_exe {
        out.push(Verdict {
            weak: !recent_download,
            ..v(
                Stage::DownloadExecute,
                format!(
                    "{} runs from a temporary directory{}",
                    p.label(),
                    if recent_download {
                        " shortly after a download"
                    } else {
                        ""
                    }
                ),
                mitre("TA0011", "T1105"),
            )
        });
    }
    // Cryptominers.
    if MINER_NAMES.iter().any(|m| name.starts_with(m))
        || POOL_MARKS.iter().any(|m| lower.contains(m))
    {
        out.push(v(
            Stage::Cryptominer,
            format!("`{cmd}` looks like a cryptominer"),
            mitre("TA0040", "T1496"),
        ));
    }
}

/// Whether a process looks like it fetches something over HTTP (for "exec after download").
pub fn is_download(p: &Proc) -> bool {
    (p.name() == "curl" || p.name() == "wget")
        && (p.cmdline.contains("http://") || p.cmdline.contains("https://"))
        && !p.cmdline.contains("localhost")
        && !p.cmdline.contains("127.0.0.1")
}

/// Checks on an outbound connection by `owner` (its exe name when the process is unknown).
pub fn on_connect(
    name: &str,
    owner: Option<&Proc>,
    dst_ip: &str,
    dst_port: u16,
    tainted: bool,
    out: &mut Vec<Verdict>,
) {
    let who = owner.map_or_else(|| name.to_string(), Proc::label);
    if is_metadata_ip(dst_ip) && (is_fetcher(name) || is_shell(name) || tainted) {
        out.push(v(
            Stage::Discovery,
            format!("{who} connects to the instance metadata service"),
            mitre("TA0007", "T1580"),
        ));
    }
    if is_shell(name) && is_outside(dst_ip) {
        out.push(v(
            Stage::ReverseShell,
            format!("shell {who} connects out to {dst_ip}:{dst_port}"),
            mitre("TA0011", "T1095"),
        ));
    }
    if MINER_PORTS.contains(&dst_port) && !is_shell(name) && is_outside(dst_ip) {
        out.push(Verdict {
            weak: !tainted,
            ..v(
                Stage::Cryptominer,
                format!("{who} connects to {dst_ip}:{dst_port}, a mining-pool port"),
                mitre("TA0040", "T1496"),
            )
        });
    }
}

/// Checks on a file access by a process (`containerised` when it runs in a container).
pub fn on_file(who: &str, path: &str, write: bool, containerised: bool, out: &mut Vec<Verdict>) {
    let name = base_name(path);
    if containerised && name == "docker.sock" {
        out.push(v(
            Stage::DockerSocket,
            format!("{who} in a container opens {path}"),
            mitre("TA0004", "T1611"),
        ));
    }
    if write && name == "release_agent" {
        out.push(v(
            Stage::ContainerEscape,
            format!("{who} writes the cgroup release_agent {path}"),
            mitre("TA0004", "T1611"),
        ));
    }
    // The cloud CLIs and tools read their own credentials all day.
    let reader = who.split('(').next().unwrap_or(who);
    if !write && credential_file(path) && !CREDENTIAL_OWNERS.contains(&reader) {
        out.push(v(
            Stage::CredentialAccess,
            format!("{who} reads credential file {path}"),
            mitre("TA0006", "T1552.001"),
        ));
    }
    if !write && path == "/etc/passwd" {
        out.push(v(
            Stage::Discovery,
            format!("{who} reads {path}"),
            mitre("TA0007", "T1087.001"),
        ));
    }
}
