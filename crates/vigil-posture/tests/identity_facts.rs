#![allow(clippy::expect_used, clippy::unwrap_used)]
//! The graph hears of every link the identity report holds, grouped or not: one assume fact
//! per (identity, role) reached by sts:AssumeRole, one escalation fact per other pair.

use std::collections::BTreeSet;
use vigil_iam::analysis::{Analysis, Options};
use vigil_iam::authz::Account;

#[test]
fn every_grouped_link_becomes_one_fact() {
    let bytes = serde_json::to_vec(&vigil_iam::synth::account_json(300)).unwrap();
    let account = Account::from_authorization_details(&bytes).unwrap();
    let a = Analysis::run(&account, None, &[], &Options::default());
    let mut facts = vigil_graph::Facts::default();
    let owners = [(
        "AKIAEXAMPLE".to_string(),
        "arn:aws:iam::1:user/x".to_string(),
    )]
    .into();
    vigil_posture::identity_facts(&a, &vigil_graph::Inventory::default(), &owners, &mut facts);

    let mut want_assume = BTreeSet::new();
    let mut want_other = BTreeSet::new();
    for i in &a.report.identities {
        for l in a.report.expand(&i.linked.can_become) {
            let pair = (i.arn.clone(), l.arn.clone());
            if l.method == "sts-001" {
                want_assume.insert((pair, l.conditional));
            } else {
                want_other.insert((pair, l.method));
            }
        }
    }
    // Dense, like a real account: people passing roles to Lambda and ECS reach every service
    // role.
    assert!(
        !want_assume.is_empty() && want_other.len() > 300,
        "{} assume, {} other",
        want_assume.len(),
        want_other.len()
    );
    let got_assume: BTreeSet<_> = facts
        .identity
        .can_assume
        .iter()
        .map(|f| {
            (
                (f.principal.clone(), f.role.clone()),
                !f.conditions.is_empty(),
            )
        })
        .collect();
    let got_other: BTreeSet<_> = facts
        .identity
        .can_escalate
        .iter()
        .map(|f| ((f.principal.clone(), f.target.clone()), f.method.clone()))
        .collect();
    assert_eq!(got_assume, want_assume);
    assert_eq!(facts.identity.can_assume.len(), want_assume.len());
    assert_eq!(got_other, want_other);
    assert_eq!(facts.identity.can_escalate.len(), want_other.len());
    assert_eq!(facts.identity.access_keys.len(), 1);
    let admins = a.report.summary.admins;
    assert_eq!(facts.identity.admins.len(), admins);
}
