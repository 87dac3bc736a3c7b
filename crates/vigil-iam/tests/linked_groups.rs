#![allow(clippy::expect_used, clippy::unwrap_used)]
//! The compact linked identities (groups by method and condition, lists interned in
//! `link_sets`) lose no link: expanded back, every identity's lists equal the one-entry-per-pair
//! lists the report used to hold, computed here from the escalation graph the old way.

use std::path::PathBuf;
use vigil_iam::analysis::{Analysis, Options};
use vigil_iam::authz::Account;
use vigil_iam::report::{Link, Report};

/// The old expansion: every edge's targets (the graph's own reading of an edge; what is under
/// test is the grouping and interning after it), one entry per ARN, the least conditional kept (the first such edge on ties), sorted by ARN.
fn old_lists(a: &Analysis<'_>, p: usize) -> (Vec<Link>, Vec<Link>) {
    let arn = |i: usize| a.engine.account.principals[i].arn.clone();
    let mut out = Vec::new();
    for e in a.graph.edges_from(p) {
        for (q, indirect) in a.graph.edge_targets(e) {
            out.push(Link {
                arn: arn(q),
                method: e.method.to_string(),
                conditional: e.conditional || e.needs_existing_resource || indirect,
            });
        }
    }
    let mut inc: Vec<Link> = a
        .graph
        .edges_to(p)
        .map(|e| Link {
            arn: if e.from_service {
                format!("service:{}", a.graph.services[e.from])
            } else {
                arn(e.from)
            },
            method: e.method.to_string(),
            conditional: e.conditional || e.needs_existing_resource,
        })
        .collect();
    for v in [&mut out, &mut inc] {
        v.sort_by(|a, b| a.arn.cmp(&b.arn).then(a.conditional.cmp(&b.conditional)));
        v.dedup_by(|a, b| a.arn == b.arn);
    }
    (out, inc)
}

/// Checks every identity; returns how many pairs the report holds.
fn check(bytes: &[u8]) -> usize {
    let account = Account::from_authorization_details(bytes).unwrap();
    let a = Analysis::run(&account, None, &[], &Options::default());
    let r: &Report = &a.report;
    let mut pairs = 0;
    for i in &r.identities {
        let Some(p) = a.principal(&i.arn) else {
            assert!(i.linked.can_become.is_empty() && i.linked.can_be_become_by.is_empty());
            continue;
        };
        let (old_out, old_in) = old_lists(&a, p);
        assert_eq!(
            r.expand(&i.linked.can_become),
            old_out,
            "{} can become",
            i.arn
        );
        assert_eq!(r.expand(&i.linked.can_be_become_by), old_in, "{} by", i.arn);
        for g in i.linked.can_become.iter().chain(&i.linked.can_be_become_by) {
            assert_eq!(g.count, r.link_set(g).len(), "{}: {g:?}", i.arn);
            assert!(g.count > 0);
        }
        pairs += old_out.len() + old_in.len();
    }
    // Each list is stored once, sorted, and used.
    let mut seen = std::collections::BTreeSet::new();
    for s in &r.link_sets {
        assert!(s.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        assert!(seen.insert(s.clone()), "a list stored twice");
    }
    let used: std::collections::BTreeSet<usize> = r
        .identities
        .iter()
        .flat_map(|i| i.linked.can_become.iter().chain(&i.linked.can_be_become_by))
        .map(|g| g.set)
        .collect();
    assert_eq!(used.len(), r.link_sets.len(), "every set is used");
    assert_eq!(used.last().map_or(0, |m| m + 1), r.link_sets.len());
    pairs
}

#[test]
fn grouping_loses_no_link_on_a_generated_account() {
    let bytes = serde_json::to_vec(&vigil_iam::synth::account_json(600)).unwrap();
    let pairs = check(&bytes);
    // Dense, as real accounts are: many more pairs than principals.
    assert!(pairs > 30 * 600, "{pairs}");
}

#[test]
fn grouping_loses_no_link_on_the_tricky_fixture() {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tricky-authz.json");
    check(&std::fs::read(p).unwrap());
}

#[test]
fn grouping_loses_no_link_on_the_lab_account() {
    let p = std::env::var_os("VIGIL_IAM_SOURCES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/iam")
        })
        .join("cloudsplaining/examples/files/example.json");
    let Ok(bytes) = std::fs::read(&p) else {
        eprintln!("lab account not found at {}; skipped", p.display());
        return;
    };
    let pairs = check(&bytes);
    assert!(pairs > 100, "{pairs}");
}

#[test]
fn a_selection_keeps_only_its_sets() {
    let bytes = serde_json::to_vec(&vigil_iam::synth::account_json(200)).unwrap();
    let account = Account::from_authorization_details(&bytes).unwrap();
    let mut r = Analysis::run(&account, None, &[], &Options::default()).report;
    let pick = r
        .identities
        .iter()
        .rev()
        .find(|i| !i.linked.can_become.is_empty())
        .unwrap()
        .arn
        .clone();
    let before = r.clone();
    let want = before.expand(
        &before
            .identities
            .iter()
            .find(|i| i.arn == pick)
            .unwrap()
            .linked
            .can_become,
    );
    r.retain_identities(|i| i.arn == pick);
    assert_eq!(r.identities.len(), 1);
    let i = &r.identities[0];
    assert_eq!(r.expand(&i.linked.can_become), want);
    let groups = i.linked.can_become.len() + i.linked.can_be_become_by.len();
    assert!(r.link_sets.len() <= groups && r.link_sets.len() < before.link_sets.len());
    assert!(
        i.linked
            .can_become
            .iter()
            .all(|g| g.set < r.link_sets.len())
    );
}
