//! Logins from the syslog authentication log (`/var/log/auth.log` on Debian/Ubuntu,
//! `/var/log/secure` on RHEL/Amazon Linux), followed like `tail -F` from its end at start.
//!
//! Limits: hosts that log only to the systemd journal need `ForwardToSyslog` or an rsyslog
//! file; the time is when the agent read the line (syslog lines carry no year or zone).

use crate::emit::Emitter;
use crate::sources::net::sleep_until_stop;
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use vigil_model::HostEventKind;

pub const DEFAULT_AUTH_LOGS: &[&str] = &["/var/log/auth.log", "/var/log/secure"];

/// One `Login` from an authentication log line, if the line records a login.
///
/// sshd: `Accepted publickey for alice from 203.0.113.9 port 50022 ssh2`,
/// `Failed password for invalid user bob from 198.51.100.1 port 2222 ssh2`.
/// su: `pam_unix(su:session): session opened for user root(uid=0) by alice(uid=1000)`.
pub fn parse_auth_line(line: &str) -> Option<HostEventKind> {
    if let Some(at) = line.find("sshd[").or_else(|| line.find("sshd:")) {
        let msg = line.get(at..)?;
        let msg = msg.split_once(": ")?.1;
        let (success, rest) = if let Some(r) = msg.strip_prefix("Accepted ") {
            (true, r)
        } else if let Some(r) = msg.strip_prefix("Failed ") {
            (false, r)
        } else {
            return None;
        };
        let (method, rest) = rest.split_once(" for ")?;
        let rest = rest.strip_prefix("invalid user ").unwrap_or(rest);
        let (user, rest) = rest.split_once(" from ")?;
        let ip = rest.split_whitespace().next()?;
        let method = match method {
            "publickey" => "ssh_publickey".to_string(),
            "password" => "ssh_password".to_string(),
            m => format!("ssh_{}", m.replace(['-', '/'], "_")),
        };
        return Some(HostEventKind::Login {
            user: user.to_string(),
            method,
            source_ip: Some(ip.to_string()),
            success,
        });
    }
    if line.contains("(su:session): session opened for user ")
        || line.contains("(su-l:session): session opened for user ")
    {
        let rest = line.split_once("session opened for user ")?.1;
        let user = rest.split(|c: char| c == '(' || c.is_whitespace()).next()?;
        return Some(HostEventKind::Login {
            user: user.to_string(),
            method: "su".into(),
            source_ip: None,
            success: true,
        });
    }
    None
}

/// Follows a growing file by path: new complete lines since the last call; starts again from
/// the top when the file is replaced or truncated (log rotation).
#[derive(Debug)]
pub struct Tail {
    path: PathBuf,
    offset: u64,
    inode: Option<u64>,
    partial: Vec<u8>,
}

impl Tail {
    /// Starts at the current end of the file (history is not replayed).
    pub fn from_end(path: PathBuf) -> Self {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(&path).ok();
        Tail {
            offset: meta.as_ref().map_or(0, |m| m.len()),
            inode: meta.map(|m| m.ino()),
            path,
            partial: Vec::new(),
        }
    }

    pub fn read_lines(&mut self, max_bytes: u64) -> Vec<String> {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return Vec::new();
        };
        if self.inode != Some(meta.ino()) || meta.len() < self.offset {
            self.inode = Some(meta.ino());
            self.offset = 0;
            self.partial.clear();
        }
        if meta.len() == self.offset {
            return Vec::new();
        }
        let Ok(mut f) = File::open(&self.path) else {
            return Vec::new();
        };
        if f.seek(SeekFrom::Start(self.offset)).is_err() {
            return Vec::new();
        }
        let want = (meta.len() - self.offset).min(max_bytes);
        let (buf, _) = crate::ship::read_capped(&mut f, want);
        self.offset += buf.len() as u64;
        self.partial.extend_from_slice(&buf);
        let Some(last_nl) = self.partial.iter().rposition(|b| *b == b'\n') else {
            return Vec::new();
        };
        let rest = self.partial.split_off(last_nl + 1);
        let done = std::mem::replace(&mut self.partial, rest);
        String::from_utf8_lossy(&done)
            .lines()
            .map(str::to_string)
            .collect()
    }
}

pub struct LoginSource {
    pub paths: Vec<PathBuf>,
    pub emitter: Emitter,
    pub interval: Duration,
}

impl LoginSource {
    pub fn run(self, stop: Arc<AtomicBool>) {
        let mut tails: Vec<Tail> = self.paths.iter().cloned().map(Tail::from_end).collect();
        while !stop.load(Ordering::Relaxed) {
            for t in &mut tails {
                for line in t.read_lines(16 << 20) {
                    if let Some(kind) = parse_auth_line(&line) {
                        self.emitter.emit(crate::clock::now(), kind);
                    }
                }
            }
            sleep_until_stop(&stop, self.interval);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(line: &str) -> Option<(String, String, Option<String>, bool)> {
        match parse_auth_line(line)? {
            HostEventKind::Login {
                user,
                method,
                source_ip,
                success,
            } => Some((user, method, source_ip, success)),
            _ => None,
        }
    }

    #[test]
    fn sshd_lines() {
        assert_eq!(
            login(
                "Nov 26 10:00:01 web-1 sshd[812]: Accepted publickey for ec2-user from 203.0.113.9 port 50022 ssh2: RSA SHA256:abc"
            ),
            Some((
                "ec2-user".into(),
                "ssh_publickey".into(),
                Some("203.0.113.9".into()),
                true
            ))
        );
        assert_eq!(
            login(
                "2026-11-26T10:00:01.123+00:00 web-1 sshd[9]: Failed password for invalid user admin from 198.51.100.1 port 2222 ssh2"
            ),
            Some((
                "admin".into(),
                "ssh_password".into(),
                Some("198.51.100.1".into()),
                false
            ))
        );
        assert_eq!(
            login(
                "Nov 26 10:00:01 web-1 sshd[9]: Accepted keyboard-interactive/pam for bob from ::1 port 1 ssh2"
            ),
            Some((
                "bob".into(),
                "ssh_keyboard_interactive_pam".into(),
                Some("::1".into()),
                true
            ))
        );
        assert_eq!(
            login("Nov 26 10:00:01 web-1 sshd[9]: Connection closed by 1.2.3.4"),
            None
        );
    }

    #[test]
    fn su_line() {
        assert_eq!(
            login(
                "Nov 26 10:00:02 web-1 su: pam_unix(su:session): session opened for user root(uid=0) by alice(uid=1000)"
            ),
            Some(("root".into(), "su".into(), None, true))
        );
        assert_eq!(
            login(
                "Nov 26 10:00:02 web-1 CRON[1]: pam_unix(cron:session): session opened for user root"
            ),
            None
        );
    }

    #[test]
    fn tail_follows_and_rotates() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("auth.log");
        std::fs::write(&p, "old line\n").unwrap();
        let mut t = Tail::from_end(p.clone());
        assert!(t.read_lines(1 << 20).is_empty());
        std::fs::write(&p, "old line\nnew one\npart").unwrap();
        assert_eq!(t.read_lines(1 << 20), vec!["new one"]);
        std::fs::write(&p, "old line\nnew one\npartial done\n").unwrap();
        assert_eq!(t.read_lines(1 << 20), vec!["partial done"]);
        std::fs::remove_file(&p).unwrap();
        std::fs::write(&p, "rotated\n").unwrap();
        assert_eq!(t.read_lines(1 << 20), vec!["rotated"]);
    }
}
