#![allow(clippy::expect_used, clippy::unwrap_used)]
//! Vigil's own CloudTrail pack against Panther's labelled corpus
//! (`shared/data/panther/cloudtrail_rule_tests.jsonl`: 464 cases over 136 Panther rules). Each
//! Panther rule id maps to the Vigil rule covering it (`rules/cloudtrail/panther-map.tsv`);
//! a should-fire case counts when the mapped rule fires on its event, a should-not case counts
//! against us when it does. Targets: ≥ 95 % and ≤ 5 %. Also runs every rule's own test file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use vigil_ingest::{FileContext, Limits, parse_cloudtrail_bytes};
use vigil_model::Event;
use vigil_sigma::{ProblemLevel, RuleSet};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

fn shared(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared")
        .join(rel);
    assert!(
        p.exists(),
        "test data missing: {} (see shared/data/README.md)",
        p.display()
    );
    p
}

fn to_events(json: &str) -> Result<Vec<Event>, String> {
    let (events, skips) =
        parse_cloudtrail_bytes(json.as_bytes(), &FileContext::new(&Limits::default()));
    if events.is_empty() {
        return Err(format!("ingest made no event: {skips:?}"));
    }
    Ok(events)
}

fn pack() -> RuleSet {
    let (set, problems) = RuleSet::load_dir(&repo("rules/cloudtrail"));
    let errors: Vec<_> = problems
        .iter()
        .filter(|p| p.level == ProblemLevel::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    set
}

#[test]
fn panther_corpus_figures() {
    let set = pack();
    let map_text = std::fs::read_to_string(repo("rules/cloudtrail/panther-map.tsv")).unwrap();
    let mut map: HashMap<String, String> = HashMap::new();
    for line in map_text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        map.insert(cols[0].to_string(), cols[1].to_string());
    }
    let corpus =
        std::fs::read_to_string(shared("data/panther/cloudtrail_rule_tests.jsonl")).unwrap();
    let (mut fire_total, mut fire_ok, mut quiet_total, mut quiet_bad) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    for line in corpus.lines() {
        let c: serde_json::Value = serde_json::from_str(line).unwrap();
        let pid = c["rule_id"].as_str().unwrap();
        let expect = c["expected_result"].as_bool().unwrap();
        let rid = map
            .get(pid)
            .unwrap_or_else(|| panic!("{pid} is not mapped"));
        let rule = set
            .find(rid)
            .unwrap_or_else(|| panic!("{pid} maps to unknown rule {rid}"));
        let mut log = c["log"].clone();
        // Some Panther test records omit eventTime (or hold a placeholder); Vigil's ingest
        // requires a time, so such records get a fixed one. Nothing else is touched.
        if let Some(obj) = log.as_object_mut()
            && obj
                .get("eventTime")
                .and_then(|t| t.as_str())
                .is_none_or(|t| vigil_ingest::parse_time(t).is_none())
        {
            obj.insert("eventTime".into(), "2024-01-01T00:00:00Z".into());
        }
        let fired = to_events(&log.to_string())
            .map(|evs| vigil_sigma::testcase::fires(&set, rule, &evs))
            .unwrap_or(false);
        if expect {
            fire_total += 1;
            fire_ok += usize::from(fired);
        } else {
            quiet_total += 1;
            quiet_bad += usize::from(fired);
        }
        if fired != expect {
            misses.push(format!(
                "{} {pid}: {}",
                if expect { "missed" } else { "false-fire" },
                c["test_name"]
            ));
        }
    }
    let fire_pct = 100.0 * fire_ok as f64 / fire_total as f64;
    let quiet_pct = 100.0 * quiet_bad as f64 / quiet_total as f64;
    println!(
        "Panther corpus: {fire_ok}/{fire_total} should-fire cases fire the mapped rule ({fire_pct:.1} %); {quiet_bad}/{quiet_total} should-not cases fire it ({quiet_pct:.1} %); {} Panther rules over {} Vigil rules",
        map.len(),
        set.len()
    );
    for m in &misses {
        println!("  {m}");
    }
    assert!(fire_pct >= 95.0, "should-fire rate {fire_pct:.1} % < 95 %");
    assert!(quiet_pct <= 5.0, "should-not rate {quiet_pct:.1} % > 5 %");
}

#[test]
fn every_rule_has_tests_that_pass() {
    let set = pack();
    let report = vigil_sigma::testcase::run_rule_tests(&set, &to_events);
    for f in &report.failures {
        println!(
            "{}:{} [{}] {}: {}",
            f.test_file.display(),
            f.line,
            f.rule_id,
            f.case,
            f.reason
        );
    }
    println!(
        "{} rules tested, {} cases, {} passed",
        report.rules_tested, report.cases, report.passed
    );
    assert!(
        report.rules_untested.is_empty(),
        "{:?}",
        report.rules_untested
    );
    assert!(report.failures.is_empty());
}
