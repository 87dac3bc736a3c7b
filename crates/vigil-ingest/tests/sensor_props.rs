//! Property tests for the Falco and auditd readers: no input panics, and a damaged audit line
//! costs only its own event.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use proptest::prelude::*;
use vigil_ingest::{FileContext, Limits, parse_auditd_bytes, parse_falco_bytes, parse_host_any};

fn ctx() -> FileContext {
    FileContext::new(&Limits::default())
}

const AUDIT: &str = "type=SYSCALL msg=audit(1.5:7): arch=c000003e syscall=59 success=yes exit=0 ppid=1 pid=2 uid=0 euid=0 comm=\"x\" exe=\"/bin/x\"\ntype=EXECVE msg=audit(1.5:7): argc=2 a0=\"x\" a1=2D65\ntype=SOCKADDR msg=audit(1.6:8): saddr=0200115CC6336407\ntype=SYSCALL msg=audit(1.6:8): arch=c000003e syscall=42 success=yes exit=0 pid=2 uid=0\n";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_falco_bytes(&bytes, &ctx());
        let _ = parse_auditd_bytes(&bytes, &ctx(), "h");
        let _ = parse_host_any(&bytes, &ctx());
    }

    #[test]
    fn audit_like_text_never_panics(s in "(type=[A-Z_]{1,8} msg=audit\\([0-9.]{1,14}:[0-9]{1,5}\\): ([a-z0-9_\\[\\]]{1,6}=(\"[^\"\n]{0,8}\"?|'[^'\n]{0,12}'?|[0-9A-Fa-f()?]{0,20}) ?){0,8}\n){0,6}") {
        let _ = parse_auditd_bytes(s.as_bytes(), &ctx(), "h");
    }

    #[test]
    fn a_cut_line_costs_at_most_its_own_event(cut in 0usize..AUDIT.len()) {
        // Cut the first line short: the second event (lines 3-4) is unaffected.
        let first_end = AUDIT.find('\n').unwrap();
        let cut = cut.min(first_end);
        let damaged = format!("{}{}", &AUDIT[..cut], &AUDIT[first_end..]);
        let o = parse_auditd_bytes(damaged.as_bytes(), &ctx(), "h");
        prop_assert!(o.events.iter().any(|e| e.id == "auditd-h-1.6:8"));
    }
}
