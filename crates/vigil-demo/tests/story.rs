//! The generated story end to end: layout, formats, the attack's facts, determinism.
// Helpers outside `#[test]` functions are test code too: a panic is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use flate2::read::GzDecoder;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use vigil_demo::{DemoConfig, DemoError, DemoManifest, generate};
use vigil_model::host::{Direction, FdKind, FileAccessKind};
use vigil_model::{Event, HostEventKind, Timestamp};

const DAY_MS: i64 = 86_400_000;

fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap().to_string_lossy().into_owned()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_reader(std::io::BufReader::new(std::fs::File::open(path).unwrap())).unwrap()
}

fn read_gz_json(path: &Path) -> Value {
    serde_json::from_reader(std::io::BufReader::new(GzDecoder::new(
        std::fs::File::open(path).unwrap(),
    )))
    .unwrap()
}

/// Every CloudTrail record with the region folder and position of the file it came from.
fn cloudtrail(root: &Path) -> Vec<(String, usize, Value)> {
    let mut out = Vec::new();
    for (i, f) in files(&root.join("cloudtrail"))
        .iter()
        .filter(|f| rel(root, f).contains("/CloudTrail/"))
        .enumerate()
    {
        let region = rel(root, f).split('/').nth(4).unwrap().to_string();
        let v = read_gz_json(f);
        for r in v["Records"].as_array().unwrap() {
            out.push((region.clone(), i, r.clone()));
        }
    }
    out
}

fn agent_events(path: &Path) -> Vec<Event> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Event>(l).unwrap())
        .collect()
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

#[test]
fn same_seed_gives_identical_bytes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let config = DemoConfig::default();
    generate(a.path(), &config).unwrap();
    generate(b.path(), &config).unwrap();
    let hash = |root: &Path| -> BTreeMap<String, u64> {
        files(root)
            .iter()
            .map(|f| {
                (
                    rel(root, f),
                    xxhash_rust::xxh3::xxh3_64(&std::fs::read(f).unwrap()),
                )
            })
            .collect()
    };
    let (ha, hb) = (hash(a.path()), hash(b.path()));
    assert!(ha.len() > 1000, "{} files", ha.len());
    assert_eq!(ha, hb);
}

#[test]
fn refuses_bad_config_and_non_empty_dirs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "mine").unwrap();
    assert!(matches!(
        generate(dir.path(), &DemoConfig::default()),
        Err(DemoError::NotEmpty(_))
    ));
    let empty = tempfile::tempdir().unwrap();
    let zero = DemoConfig {
        scale: 0,
        ..DemoConfig::default()
    };
    assert!(matches!(
        generate(empty.path(), &zero),
        Err(DemoError::Scale(0))
    ));
}

/// One generation, every check on it (generating is the slow part in debug builds).
#[test]
fn the_story_is_in_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let m = generate(root, &DemoConfig::default()).unwrap();
    let written: DemoManifest =
        serde_json::from_value(read_json(&root.join("manifest.json"))).unwrap();
    assert_eq!(written, m);
    layout(root, &m);
    let records = cloudtrail(root);
    cloudtrail_records_are_complete(&records, &m);
    attack_in_cloudtrail(&records, &m);
    baseline_is_ordinary(&records, &m);
    host_attack_in_order(root, &m);
    credential_report(root, &m);
    inventory_shapes(root, &m);
    rootfs(root, &m);
    rootfs_vulnerabilities(root);
}

fn layout(root: &Path, m: &DemoManifest) {
    let all = files(root);
    let acct = &m.account_id;
    let mut logs = 0;
    let mut digests = 0;
    for f in &all {
        let r = rel(root, f);
        let parts: Vec<&str> = r.split('/').collect();
        match parts.as_slice() {
            [
                "cloudtrail",
                "AWSLogs",
                a,
                "CloudTrail",
                region,
                y,
                mo,
                d,
                name,
            ] => {
                assert_eq!(a, acct);
                let stamp = format!("{y}{mo}{d}T");
                let prefix = format!("{acct}_CloudTrail_{region}_{stamp}");
                assert!(name.starts_with(&prefix), "{r}");
                let rest = name.strip_prefix(&prefix).unwrap();
                // HHMMZ_<16 alnum>.json.gz
                assert_eq!(rest.len(), 4 + 2 + 16 + 8, "{r}");
                assert!(rest.ends_with(".json.gz"));
                logs += 1;
            }
            [
                "cloudtrail",
                "AWSLogs",
                a,
                "CloudTrail-Digest",
                _,
                _,
                _,
                _,
                name,
            ] => {
                assert_eq!(a, acct);
                assert!(name.contains("_CloudTrail-Digest_") && name.ends_with(".json.gz"));
                let d = read_gz_json(f);
                assert!(d["logFiles"].as_array().is_some_and(|l| !l.is_empty()));
                digests += 1;
            }
            ["agent", name] => assert!(name.starts_with("i-0") && name.ends_with(".jsonl")),
            ["inventory", _] | ["manifest.json"] => {}
            ["rootfs", ..] => {}
            _ => panic!("unexpected file {r}"),
        }
    }
    assert_eq!(logs, m.counts.cloudtrail_files);
    assert_eq!(digests, m.counts.cloudtrail_digest_files);
    assert!(digests > 0);
    assert!(
        all.iter()
            .any(|f| rel(root, f) == format!("agent/{}.jsonl", m.compromised_instance_id))
    );
    let agent_files = all
        .iter()
        .filter(|f| rel(root, f).starts_with("agent/"))
        .count();
    assert_eq!(agent_files as u64, m.counts.agent_files);
    assert!((3..=5).contains(&agent_files));
    let rootfs = all
        .iter()
        .filter(|f| rel(root, f).starts_with("rootfs/"))
        .count();
    assert_eq!(rootfs as u64, m.counts.rootfs_files);
    assert!((20..=80).contains(&rootfs));
}

fn cloudtrail_records_are_complete(records: &[(String, usize, Value)], m: &DemoManifest) {
    assert_eq!(records.len() as u64, m.counts.cloudtrail_records);
    assert!(
        (5_000..100_000).contains(&records.len()),
        "{}",
        records.len()
    );
    let mut ids = BTreeSet::new();
    let mut unsorted_files = BTreeSet::new();
    let mut last: BTreeMap<usize, Timestamp> = BTreeMap::new();
    for (region, file, r) in records {
        for field in [
            "eventVersion",
            "userIdentity",
            "eventTime",
            "eventSource",
            "eventName",
            "awsRegion",
            "sourceIPAddress",
            "userAgent",
            "eventID",
            "eventType",
            "recipientAccountId",
            "readOnly",
            "managementEvent",
        ] {
            assert!(r.get(field).is_some(), "{field} missing in {r}");
        }
        assert!(["1.08", "1.09"].contains(&r["eventVersion"].as_str().unwrap()));
        assert_eq!(r["awsRegion"].as_str(), Some(region.as_str()));
        assert_eq!(
            r["recipientAccountId"].as_str(),
            Some(m.account_id.as_str())
        );
        let id = r["eventID"].as_str().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(ids.insert(id.to_string()), "duplicate eventID {id}");
        let t = ts(r["eventTime"].as_str().unwrap());
        assert!(t >= m.start && t < m.end);
        let ty = r["userIdentity"]["type"].as_str().unwrap();
        assert!(
            ["IAMUser", "AssumedRole", "AWSService", "Root"].contains(&ty),
            "{ty}"
        );
        if ty == "AssumedRole" {
            let issuer = &r["userIdentity"]["sessionContext"]["sessionIssuer"];
            assert_eq!(issuer["type"], "Role");
            assert!(
                r["userIdentity"]["accessKeyId"]
                    .as_str()
                    .unwrap()
                    .starts_with("ASIA")
            );
        }
        if r["eventName"] == "AssumeRole" && r.get("errorCode").is_none() {
            let key = r["responseElements"]["credentials"]["accessKeyId"]
                .as_str()
                .unwrap();
            assert!(key.starts_with("ASIA"));
        }
        if let Some(prev) = last.insert(*file, t)
            && t < prev
        {
            unsorted_files.insert(*file);
        }
    }
    assert!(
        unsorted_files.len() > 10,
        "records inside files should not be sorted"
    );
    assert!(m.counts.cloudtrail_late_records > 0);
    let errors: BTreeSet<&str> = records
        .iter()
        .filter_map(|(_, _, r)| r["errorCode"].as_str())
        .collect();
    assert!(
        errors.contains("AccessDenied") && errors.contains("ThrottlingException"),
        "{errors:?}"
    );
    let agents: BTreeSet<&str> = records
        .iter()
        .map(|(_, _, r)| r["userAgent"].as_str().unwrap())
        .collect();
    for ua in [
        "aws-cli/2.",
        "Boto3/1.",
        "Terraform/",
        "Mozilla/5.0",
        "aws-sdk-go",
    ] {
        assert!(agents.iter().any(|a| a.contains(ua)), "no {ua} user agent");
    }
}

fn attack_in_cloudtrail(records: &[(String, usize, Value)], m: &DemoManifest) {
    let attack: Vec<&Value> = records
        .iter()
        .map(|(_, _, r)| r)
        .filter(|r| r["sourceIPAddress"] == m.attacker_ip.as_str())
        .collect();
    assert_eq!(attack.len() as u64, m.counts.attack_cloudtrail_records);
    let ids: BTreeSet<&str> = attack
        .iter()
        .map(|r| r["eventID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, m.attack_event_ids.iter().map(String::as_str).collect());
    let names: BTreeSet<String> = attack
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["eventSource"]
                    .as_str()
                    .unwrap()
                    .trim_end_matches(".amazonaws.com"),
                r["eventName"].as_str().unwrap()
            )
        })
        .collect();
    for n in [
        "sts:GetCallerIdentity",
        "iam:GetUser",
        "iam:ListAttachedUserPolicies",
        "ec2:DescribeInstances",
        "s3:ListBuckets",
        "rds:DescribeDBClusters",
        "iam:ListRoles",
        "sts:AssumeRole",
        "rds:CreateDBClusterSnapshot",
        "rds:DescribeDBClusterSnapshots",
        "rds:ModifyDBClusterSnapshotAttribute",
    ] {
        assert!(names.contains(n), "attack lacks {n}");
    }
    let regions: BTreeSet<&str> = attack
        .iter()
        .map(|r| r["awsRegion"].as_str().unwrap())
        .collect();
    assert!(regions.len() >= 10, "{regions:?}");
    assert!(attack.iter().any(|r| r["errorCode"] == "AccessDenied"));
    for r in &attack {
        let key = r["userIdentity"]["accessKeyId"].as_str().unwrap();
        assert!(
            key == m.contractor_access_key_id || key == m.session_access_key_id,
            "{key}"
        );
        let t = ts(r["eventTime"].as_str().unwrap());
        assert!(t.as_millis() >= m.attack.key_first_use.as_millis() / 1000 * 1000);
        assert!(t >= m.baseline_end);
    }
    let assume = attack
        .iter()
        .find(|r| r["eventName"] == "AssumeRole")
        .unwrap();
    assert_eq!(
        assume["userIdentity"]["accessKeyId"],
        m.contractor_access_key_id.as_str()
    );
    assert_eq!(
        assume["requestParameters"]["roleArn"],
        m.privileged_role_arn.as_str()
    );
    assert_eq!(
        assume["responseElements"]["credentials"]["accessKeyId"],
        m.session_access_key_id.as_str()
    );
    assert_eq!(
        assume["responseElements"]["assumedRoleUser"]["arn"],
        m.role_session_arn.as_str()
    );
    let share = attack
        .iter()
        .find(|r| r["eventName"] == "ModifyDBClusterSnapshotAttribute")
        .unwrap();
    assert_eq!(share["userIdentity"]["arn"], m.role_session_arn.as_str());
    assert_eq!(share["requestParameters"]["attributeName"], "restore");
    assert_eq!(
        share["requestParameters"]["valuesToAdd"][0],
        m.outside_account_id.as_str()
    );
    assert_eq!(
        share["requestParameters"]["dBClusterSnapshotIdentifier"],
        m.snapshot_ids[0].as_str()
    );
    let create = attack
        .iter()
        .find(|r| r["eventName"] == "CreateDBClusterSnapshot")
        .unwrap();
    assert_eq!(
        create["requestParameters"]["dBClusterIdentifier"],
        m.rds_cluster_id.as_str()
    );
    assert_eq!(
        ts(share["eventTime"].as_str().unwrap()),
        Timestamp::from_secs(m.attack.snapshot_shared.as_secs())
    );
}

fn baseline_is_ordinary(records: &[(String, usize, Value)], m: &DemoManifest) {
    let key_uses: Vec<&Value> = records
        .iter()
        .map(|(_, _, r)| r)
        .filter(|r| r["userIdentity"]["accessKeyId"] == m.contractor_access_key_id.as_str())
        .filter(|r| ts(r["eventTime"].as_str().unwrap()) < m.baseline_end)
        .collect();
    assert!(
        key_uses.len() >= 5,
        "the contractor's key needs a baseline: {}",
        key_uses.len()
    );
    let ips: BTreeSet<&str> = key_uses
        .iter()
        .map(|r| r["sourceIPAddress"].as_str().unwrap())
        .collect();
    let regions: BTreeSet<&str> = key_uses
        .iter()
        .map(|r| r["awsRegion"].as_str().unwrap())
        .collect();
    assert_eq!(ips.len(), 1);
    assert_eq!(regions.len(), 1);
    assert!(!ips.contains(m.attacker_ip.as_str()));
    assert!(!records.iter().any(
        |(_, _, r)| r["eventName"] == "ModifyDBClusterSnapshotAttribute"
            && ts(r["eventTime"].as_str().unwrap()) < m.baseline_end
    ));
    // Ops engineers use the privileged role, with MFA.
    let ops: Vec<&Value> = records
        .iter()
        .map(|(_, _, r)| r)
        .filter(|r| {
            r["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"]
                == m.privileged_role_arn.as_str()
        })
        .filter(|r| ts(r["eventTime"].as_str().unwrap()) < m.baseline_end)
        .collect();
    assert!(ops.len() > 20);
    assert!(
        ops.iter().all(
            |r| r["userIdentity"]["sessionContext"]["attributes"]["mfaAuthenticated"] == "true"
        )
    );
}

fn host_attack_in_order(root: &Path, m: &DemoManifest) {
    let mut total = 0;
    for f in files(&root.join("agent")) {
        let events = agent_events(&f);
        total += events.len();
        let host = f.file_stem().unwrap().to_string_lossy().into_owned();
        for (i, e) in events.iter().enumerate() {
            assert_eq!(e.id, format!("{host}-{}", i + 1));
            assert_eq!(e.source.as_str(), "agent");
            assert_eq!(e.host().unwrap().host_id, host);
            if i > 0 {
                assert!(events[i - 1].time <= e.time);
            }
        }
    }
    assert_eq!(total as u64, m.counts.agent_events);
    let events = agent_events(
        &root
            .join("agent")
            .join(format!("{}.jsonl", m.compromised_instance_id)),
    );
    let pos = |pred: &dyn Fn(&HostEventKind) -> bool, what: &str| -> usize {
        events
            .iter()
            .position(|e| e.time >= m.baseline_end && pred(&e.host().unwrap().kind))
            .unwrap_or_else(|| panic!("no {what}"))
    };
    let argv_is = |want: &'static [&'static str]| move |k: &HostEventKind| matches!(k, HostEventKind::ProcessStart { process } if process.argv == want);
    let exploit = pos(
        &|k| {
            matches!(k, HostEventKind::ProcessStart { process } if process.argv.first().map(String::as_str) == Some("/bin/sh")
            && process.argv.get(1).map(String::as_str) == Some("-c")
            && process.container_id.as_deref() == Some(m.container_id.as_str())
            && process.pid_ns != Some(4_026_531_836))
        },
        "exploit",
    );
    let escape = pos(
        &argv_is(&["nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "sh"]),
        "nsenter",
    );
    let host_sh = pos(
        &|k| matches!(k, HostEventKind::ProcessStart { process } if process.argv == ["sh"] && process.pid_ns == Some(4_026_531_836) && process.mnt_ns == Some(4_026_531_841)),
        "shell in host namespaces",
    );
    let privesc = pos(
        &|k| {
            matches!(
                k,
                HostEventKind::PrivilegeChange {
                    old_uid: 1000,
                    new_uid: 0,
                    ..
                }
            )
        },
        "privilege change",
    );
    let whoami = pos(&argv_is(&["whoami"]), "whoami");
    let id = pos(&argv_is(&["id"]), "id");
    let uname = pos(&argv_is(&["uname", "-a"]), "uname");
    let passwd = pos(
        &|k| matches!(k, HostEventKind::FileAccess { path, access: FileAccessKind::Read, .. } if path == "/etc/passwd"),
        "/etc/passwd read",
    );
    let imds = pos(
        &|k| matches!(k, HostEventKind::Network { dst_ip, dst_port: 80, process, .. } if dst_ip == "169.254.169.254" && process.exe.as_deref() == Some("/usr/bin/curl")),
        "IMDS query",
    );
    let key = pos(
        &|k| matches!(k, HostEventKind::FileAccess { path, .. } if path.ends_with(&m.hardcoded_key_path)),
        "config read",
    );
    let shell = pos(
        &|k| matches!(k, HostEventKind::ProcessStart { process } if process.argv == ["bash", "-i"] && process.stdin == Some(FdKind::Socket) && process.stdout == Some(FdKind::Socket) && process.euid == 0),
        "reverse shell",
    );
    let call_home = pos(
        &|k| matches!(k, HostEventKind::Network { direction: Direction::Connect, dst_ip, dst_port, .. } if *dst_ip == m.reverse_shell_ip && *dst_port == m.reverse_shell_port),
        "connect to the attacker",
    );
    let order = [
        exploit, escape, host_sh, privesc, whoami, id, uname, passwd, imds, key, shell, call_home,
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert_eq!(events[exploit].time, m.attack.host_exploit);
    assert!(events[call_home].time < m.attack.key_first_use);
    // The escaped shell descends from the exploited container process.
    let pids: BTreeMap<u32, u32> = events
        .iter()
        .filter_map(|e| match &e.host().unwrap().kind {
            HostEventKind::ProcessStart { process } if e.time >= m.baseline_end => {
                Some((process.pid, process.ppid))
            }
            _ => None,
        })
        .collect();
    let HostEventKind::ProcessStart { process: exploit_p } = &events[exploit].host().unwrap().kind
    else {
        unreachable!()
    };
    let HostEventKind::ProcessStart { process: shell_p } = &events[shell].host().unwrap().kind
    else {
        unreachable!()
    };
    let mut p = shell_p.pid;
    let mut chain = 0;
    while p != exploit_p.pid {
        p = *pids
            .get(&p)
            .unwrap_or_else(|| panic!("broken parent chain at {p}"));
        chain += 1;
        assert!(chain < 20);
    }
    assert!(m.counts.attack_agent_events > 15);
}

fn credential_report(root: &Path, m: &DemoManifest) {
    let text = std::fs::read_to_string(root.join("inventory/credential-report.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert_eq!(header, vigil_demo::CREDENTIAL_REPORT_HEADER);
    let cols: Vec<&str> = header.split(',').collect();
    assert_eq!(cols.len(), 22);
    let col =
        |row: &[&str], name: &str| row[cols.iter().position(|c| *c == name).unwrap()].to_string();
    let mut saw = false;
    for line in lines {
        let row: Vec<&str> = line.split(',').collect();
        assert_eq!(row.len(), cols.len(), "{line}");
        if col(&row, "user") == "<root_account>" {
            continue;
        }
        let rotated = Timestamp::parse(&col(&row, "access_key_1_last_rotated")).unwrap();
        let age_days = (m.inventory_time.as_millis() - rotated.as_millis()) / DAY_MS;
        if col(&row, "arn") == m.contractor_user_arn {
            saw = true;
            assert!(age_days > 180, "contractor key age {age_days}");
            assert_eq!(col(&row, "mfa_active"), "false");
            assert_eq!(col(&row, "access_key_1_active"), "true");
            assert_eq!(col(&row, "access_key_1_last_used_region"), "us-east-1");
            let used = Timestamp::parse(&col(&row, "access_key_1_last_used_date")).unwrap();
            assert!(used < m.baseline_end);
        } else {
            assert!(age_days < 90, "{line}");
        }
    }
    assert!(saw);
}

fn inventory_shapes(root: &Path, m: &DemoManifest) {
    let inv = root.join("inventory");
    let iam = read_json(&inv.join("iam-authorization-details.json"));
    for k in [
        "UserDetailList",
        "GroupDetailList",
        "RoleDetailList",
        "Policies",
    ] {
        assert!(iam[k].as_array().is_some_and(|a| !a.is_empty()), "{k}");
    }
    let contractor = iam["UserDetailList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["Arn"] == m.contractor_user_arn.as_str())
        .unwrap();
    let stmts = contractor["UserPolicyList"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    assert!(stmts.iter().any(
        |s| s["Action"] == "sts:AssumeRole" && s["Resource"] == m.privileged_role_arn.as_str()
    ));
    let role = iam["RoleDetailList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Arn"] == m.privileged_role_arn.as_str())
        .unwrap();
    assert!(role["AssumeRolePolicyDocument"]["Statement"].is_array());
    let attached: Vec<&str> = role["AttachedManagedPolicies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PolicyName"].as_str().unwrap())
        .collect();
    assert!(attached.contains(&"AmazonRDSFullAccess"));
    let rds_full = iam["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["PolicyName"] == "AmazonRDSFullAccess")
        .unwrap();
    assert!(
        rds_full["PolicyVersionList"][0]["Document"]
            .to_string()
            .contains("\"rds:*\"")
    );
    assert!(iam["RoleDetailList"].as_array().unwrap().iter().any(|r| {
        r["InstanceProfileList"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    }));

    let ec2 = read_json(&inv.join("ec2-describe-instances.json"));
    let instances: Vec<&Value> = ec2["Reservations"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["Instances"].as_array().unwrap())
        .collect();
    let host = instances
        .iter()
        .find(|i| i["InstanceId"] == m.compromised_instance_id.as_str())
        .unwrap();
    assert_eq!(
        host["PublicIpAddress"],
        m.compromised_instance_public_ip.as_str()
    );
    assert_eq!(host["SubnetId"], m.subnet_id.as_str());
    assert_eq!(
        host["SecurityGroups"][0]["GroupId"],
        m.security_group_id.as_str()
    );
    let sgs = read_json(&inv.join("ec2-describe-security-groups.json"));
    let sg = sgs["SecurityGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["GroupId"] == m.security_group_id.as_str())
        .unwrap();
    for port in [22, 80, 443] {
        assert!(
            sg["IpPermissions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["FromPort"] == port && p["IpRanges"][0]["CidrIp"] == "0.0.0.0/0"),
            "port {port}"
        );
    }
    assert_eq!(
        read_json(&inv.join("ec2-describe-vpcs.json"))["Vpcs"][0]["VpcId"],
        m.vpc_id.as_str()
    );
    assert!(
        read_json(&inv.join("ec2-describe-subnets.json"))["Subnets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["SubnetId"] == m.subnet_id.as_str() && s["MapPublicIpOnLaunch"] == true)
    );
    let igw = read_json(&inv.join("ec2-describe-internet-gateways.json"));
    let igw_id = igw["InternetGateways"][0]["InternetGatewayId"]
        .as_str()
        .unwrap()
        .to_string();
    let rtbs = read_json(&inv.join("ec2-describe-route-tables.json"));
    assert!(rtbs["RouteTables"].as_array().unwrap().iter().any(|t| {
        t["Associations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["SubnetId"] == m.subnet_id.as_str())
            && t["Routes"].as_array().unwrap().iter().any(|r| {
                r["DestinationCidrBlock"] == "0.0.0.0/0" && r["GatewayId"] == igw_id.as_str()
            })
    }));
    let rds = read_json(&inv.join("rds-describe-db-clusters.json"));
    assert!(
        rds["DBClusters"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["DBClusterArn"] == m.rds_cluster_arn.as_str()
                && c["DBClusterIdentifier"] == m.rds_cluster_id.as_str())
    );
    let s3 = read_json(&inv.join("s3-list-buckets.json"));
    assert!(s3["Buckets"].as_array().is_some_and(|b| b.len() >= 3));
    assert!(s3["Owner"]["ID"].is_string());
}

fn rootfs(root: &Path, m: &DemoManifest) {
    let fs = root.join("rootfs");
    let os = std::fs::read_to_string(fs.join("etc/os-release")).unwrap();
    assert!(os.contains("VERSION_ID=\"22.04\""));
    let status = std::fs::read_to_string(fs.join("var/lib/dpkg/status")).unwrap();
    assert!(status.matches("Package: ").count() >= 30);
    assert!(status.contains("Package: sudo\n") && status.contains("Version: 3.0.2-0ubuntu1\n"));
    let settings = std::fs::read_to_string(fs.join(&m.hardcoded_key_path)).unwrap();
    assert!(settings.contains(&format!(
        "AWS_ACCESS_KEY_ID = \"{}\"",
        m.contractor_access_key_id
    )));
    let secret = settings
        .lines()
        .find_map(|l| l.strip_prefix("AWS_SECRET_ACCESS_KEY = \""))
        .and_then(|s| s.strip_suffix('"'))
        .unwrap();
    assert_eq!(secret.len(), 40);
    let fp = format!(
        "{}…xxh3:{:016x}",
        &secret[..4],
        xxhash_rust::xxh3::xxh3_64(secret.as_bytes())
    );
    assert_eq!(fp, m.contractor_secret_fingerprint);
    let manifest_text = std::fs::read_to_string(root.join("manifest.json")).unwrap();
    assert!(!manifest_text.contains(secret));
    assert!(
        fs.join("opt/app/venv/lib/python3.10/site-packages/PyYAML-5.3.1.dist-info/METADATA")
            .is_file()
    );
    assert!(fs.join("home/ubuntu/.bash_history").is_file());
    assert!(
        std::fs::read_to_string(fs.join("etc/passwd"))
            .unwrap()
            .contains("ubuntu:x:1000:1000")
    );
}

/// The demo host scanned against the shipped demo advisories: exactly the real notices whose
/// 22.04 fixed version is above the installed one, matched through the binary packages' sources.
fn rootfs_vulnerabilities(root: &Path) {
    use vigil_scan::vulndb::{VulnDb, demo_advisories};
    let db = VulnDb::new(demo_advisories());
    let fs = vigil_scan::fs::DirFs::new(root.join("rootfs"));
    let report = vigil_scan::scan(
        &fs,
        "demo",
        &db,
        None,
        &vigil_scan::ScanOptions::default(),
        &mut |_| {},
    );
    let got: BTreeSet<(String, String, String, String)> = report
        .vulnerabilities
        .iter()
        .filter(|v| v.kind != "pypi")
        .map(|v| {
            (
                v.id.clone(),
                v.package.clone(),
                v.fixed_version.clone().unwrap_or_default(),
                v.severity.as_str().to_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String, String)> = [
        ("USN-6409-1", "libc6", "2.35-0ubuntu3.4", "high"),
        ("USN-6409-1", "libc-bin", "2.35-0ubuntu3.4", "high"),
        ("USN-6619-1", "runc", "1.1.7-0ubuntu1~22.04.2", "high"),
        (
            "USN-6859-1",
            "openssh-client",
            "1:8.9p1-3ubuntu0.10",
            "high",
        ),
        (
            "USN-6859-1",
            "openssh-server",
            "1:8.9p1-3ubuntu0.10",
            "high",
        ),
        (
            "USN-6242-1",
            "openssh-client",
            "1:8.9p1-3ubuntu0.3",
            "medium",
        ),
        (
            "USN-6242-1",
            "openssh-server",
            "1:8.9p1-3ubuntu0.3",
            "medium",
        ),
        ("USN-5811-1", "sudo", "1.9.9-1ubuntu2.2", "medium"),
        ("USN-5402-1", "openssl", "3.0.2-0ubuntu1.1", "medium"),
        ("USN-5402-1", "libssl3", "3.0.2-0ubuntu1.1", "medium"),
        ("USN-5702-1", "curl", "7.81.0-1ubuntu1.6", "medium"),
        ("USN-5702-1", "libcurl4", "7.81.0-1ubuntu1.6", "medium"),
        ("USN-5570-2", "zlib1g", "1:1.2.11.dfsg-2ubuntu9.2", "medium"),
        ("USN-5638-2", "libexpat1", "2.4.7-1ubuntu0.1", "medium"),
        ("USN-6138-1", "libssh-4", "0.9.6-2ubuntu0.22.04.1", "medium"),
        ("USN-5446-1", "dpkg", "1.21.1ubuntu2.1", "medium"),
        // Through its source util-linux 2.37.2-4ubuntu3: the binary's epoch (1:) is not the
        // source's, so comparing the binary version would call it fixed.
        ("USN-6719-1", "bsdutils", "2.37.2-4ubuntu3.3", "medium"),
        ("GHSA-p6mc-m468-83gw", "lodash", "4.17.19", "high"),
        ("GHSA-35jh-r3h4-6jhm", "lodash", "4.17.21", "high"),
        ("GHSA-29mw-wpgm-hmr9", "lodash", "4.17.21", "medium"),
        ("GHSA-xvch-5gv4-984h", "minimist", "1.2.6", "critical"),
    ]
    .into_iter()
    .map(|(a, b, c, d)| (a.into(), b.into(), c.into(), d.into()))
    .collect();
    assert_eq!(got, want);
    // The Python app's old pins still meet PyPA's advisories (PyYAML 5.3.1 is CVE-2020-14343).
    assert!(
        report
            .vulnerabilities
            .iter()
            .any(|v| v.package == "PyYAML" && v.aliases.iter().any(|a| a == "CVE-2020-14343"))
    );
}
