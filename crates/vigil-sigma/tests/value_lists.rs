#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Value lists the optimiser rewrites: a field's `|cidr` ranges become one test (the address
//! parsed once), `|contains` values are searched around one anchor byte. Whatever the
//! rewriting, a list still means "any of these", and a value outside every range, or not an
//! address at all, matches none.

use std::path::PathBuf;
use vigil_ingest::{FileContext, Limits, parse_cloudtrail_bytes};
use vigil_sigma::{RuleSet, RuleSource};

const RULE: &str = r#"
title: lists
id: lists
logsource: {product: aws, service: cloudtrail}
level: high
detection:
  private:
    sourceIPAddress|cidr:
      - 10.0.0.0/8
      - 192.168.0.0/16
      - 2001:db8::/32
  internal:
    sourceIPAddress: AWS Internal
  agent:
    userAgent|contains:
      - amazon-ssm-agent
      - /I-
  condition: (private or internal) and not agent
"#;

fn fires(ip: &str, agent: &str) -> bool {
    rule_fires(RULE, ip, Some(agent))
}

/// Whether `rule` matches one DescribeInstances call from `ip` with `agent` (absent: `None`).
fn rule_fires(rule: &str, ip: &str, agent: Option<&str>) -> bool {
    let (set, problems) = RuleSet::from_sources([RuleSource {
        path: PathBuf::from("rule.yml"),
        text: rule.to_string(),
    }]);
    assert!(problems.is_empty(), "{problems:?}");
    let mut record = serde_json::json!({
        "eventVersion": "1.08", "eventID": "e-1", "eventTime": "2026-10-01T00:00:00Z",
        "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
        "awsRegion": "us-east-1", "sourceIPAddress": ip,
        "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a",
                         "accountId": "111122223333", "userName": "a"}
    });
    if let Some(a) = agent {
        record["userAgent"] = serde_json::Value::from(a);
    }
    let line = record.to_string();
    let (events, skips) =
        parse_cloudtrail_bytes(line.as_bytes(), &FileContext::new(&Limits::default()));
    assert!(skips.is_empty(), "{skips:?}");
    let mut hits = Vec::new();
    set.matches(&events[0], &mut hits);
    !hits.is_empty()
}

#[test]
fn any_range_of_a_list_matches_and_nothing_else_does() {
    for ip in [
        "10.1.2.3",
        "192.168.255.1",
        "2001:db8::1",
        " 10.0.0.1 ",
        "AWS Internal",
    ] {
        assert!(fires(ip, "curl/8"), "{ip}");
    }
    for ip in [
        "11.0.0.1",
        "192.169.0.1",
        "2001:db9::1",
        "ec2.amazonaws.com",
        "",
        "10.0.0",
    ] {
        assert!(!fires(ip, "curl/8"), "{ip}");
    }
}

#[test]
fn contains_values_match_anywhere_ignoring_case() {
    for agent in [
        "aws-sdk-go/1.44 amazon-ssm-agent/3.3",
        "AMAZON-SSM-AGENT",
        "x/i-",
        "arn:aws:sts::1:assumed-role/r/I-0abc",
    ] {
        assert!(!fires("10.0.0.1", agent), "{agent}");
    }
    for agent in [
        "amazon-ssm",
        "amazon_ssm_agent",
        "i-",
        "/i",
        "",
        "aws-cli/2",
    ] {
        assert!(fires("10.0.0.1", agent), "{agent}");
    }
}

/// Alternatives on one field in a list of maps (`- userAgent: ''` / `- userAgent: null` /
/// `- userAgent|contains: [...]`) are merged into one test by the optimiser; `|all` lists stay
/// apart. Each still means what it says.
const ALTERNATIVES: &str = r#"
title: alternatives
id: alternatives
logsource: {product: aws, service: cloudtrail}
level: high
detection:
  selection:
    eventName: DescribeInstances
  filter_agents:
    - userAgent|contains:
        - amazon-ssm-agent
        - aws-sdk-java
    - userAgent: ''
    - userAgent: null
    - userAgent|contains|all:
        - boto
        - linux
  condition: selection and not filter_agents
"#;

fn alternatives_fire(agent: Option<&str>) -> bool {
    rule_fires(ALTERNATIVES, "198.51.100.7", agent)
}

#[test]
fn alternatives_on_one_field_each_still_count() {
    for filtered in [
        Some("amazon-ssm-agent/3.3.808.0"),
        Some("AWS-SDK-JAVA/2.20"),
        Some(""),
        None,
        Some("Boto3/1.35 Linux/6.1"),
    ] {
        assert!(!alternatives_fire(filtered), "{filtered:?} is filtered");
    }
    for fires in [
        Some("Boto3/1.35 Windows/10"),
        Some("curl/8.5"),
        Some("linux"),
    ] {
        assert!(alternatives_fire(fires), "{fires:?} is not filtered");
    }
}
