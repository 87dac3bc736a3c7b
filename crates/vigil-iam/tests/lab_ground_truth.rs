#![allow(clippy::expect_used, clippy::unwrap_used)]
//! cloudsplaining's deliberately vulnerable lab account (an IAM Vulnerable deployment): the
//! privesc* users can escalate, the fn* traps can too (other tools miss them), the fp* traps
//! cannot. Prints the figures.
//!
//! Three of the 32 privesc users cannot escalate as the account was deployed, and flagging them
//! would take an edge AWS does not honour:
//! - `privesc-AssumeRole-start-user` has no policy, no group, and no trust policy names it (the
//!   chain's first role, `privesc-AssumeRole-starting-role`, trusts only the deployer's SSO
//!   session). IAM Vulnerable's Terraform creates the user with an access key and nothing else.
//! - `privesc9-AttachRolePolicy-user` and `privesc12-PutRolePolicy-user` may rewrite any role's
//!   policies but hold no sts:AssumeRole, no trust policy names them, and nothing lets them pass
//!   a role to a workload they control. pathfinding.cloud's iam-009 and iam-005 list "principal
//!   must be a role (not a user)"; a user needs iam-014/iam-017 (plus sts:AssumeRole on a role
//!   whose trust policy allows it).
//!
//! IAM Vulnerable's own profiles (`aws_credentials_file_example`) exercise these three paths
//! through roles: `privesc9-AttachRolePolicy-role`, `privesc12-PutRolePolicy-role` and
//! `privesc-AssumeRole-starting-role`. Those must be flagged, and the three users must not.

use std::collections::BTreeSet;
use std::path::PathBuf;
use vigil_iam::authz::Account;
use vigil_iam::catalog::Catalog;
use vigil_iam::effective;
use vigil_iam::engine::Engine;
use vigil_iam::escalation::EscalationGraph;

fn lab() -> Option<Vec<u8>> {
    let p = std::env::var_os("VIGIL_IAM_SOURCES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/iam")
        })
        .join("cloudsplaining/examples/files/example.json");
    std::fs::read(p).ok()
}

#[test]
fn lab_account_escalation_figures() {
    let Some(bytes) = lab() else {
        eprintln!("lab account not found; set VIGIL_IAM_SOURCES");
        return;
    };
    let acct = Account::from_authorization_details(&bytes).unwrap();
    let cat = Catalog::builtin();
    let engine = Engine::new(&acct, acct.newest_time.unwrap());
    let effs: Vec<_> = (0..acct.principals.len())
        .map(|p| effective::compute(&engine, cat, p))
        .collect();
    let graph = EscalationGraph::build(&engine, cat, &effs);
    let mut privesc = (0, 0);
    let mut fns = (0, 0);
    let mut fps = (0, 0);
    let mut missed = BTreeSet::new();
    for (i, p) in acct.principals.iter().enumerate() {
        if p.kind != vigil_iam::authz::PrincipalKind::User {
            continue;
        }
        let path = graph.path_to_admin(i);
        let flagged = path.as_ref().is_some_and(|p| !p.is_empty());
        if !flagged && p.name.starts_with("privesc") {
            missed.insert(p.name.as_str());
        }
        let bucket = if p.name.starts_with("privesc") {
            &mut privesc
        } else if p.name.starts_with("fn") {
            &mut fns
        } else if p.name.starts_with("fp") {
            &mut fps
        } else {
            continue;
        };
        bucket.1 += 1;
        if flagged {
            bucket.0 += 1;
        }
        let desc = path.map(|p| {
            p.iter()
                .map(|e| {
                    format!(
                        "{}{}",
                        e.method,
                        if e.conditional || e.needs_existing_resource {
                            "?"
                        } else {
                            ""
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join(" -> ")
        });
        eprintln!("{:60} {}", p.name, desc.unwrap_or_else(|| "-".into()));
    }
    eprintln!(
        "lab account: escalation principals flagged {}/{} (PMapper 19/32), fn traps {}/{} (target >= 3), fp traps {}/{} (target 0); {} edges",
        privesc.0,
        privesc.1,
        fns.0,
        fns.1,
        fps.0,
        fps.1,
        graph.edges.len()
    );
    // The lab's intended principals for the three paths the users cannot take.
    let mut intended = 0;
    for name in INTENDED_ROLES {
        let r = acct.find_principal(name).expect(name);
        let path = graph.path_to_admin(r).unwrap_or_default();
        let desc: Vec<_> = path.iter().map(|e| e.method).collect();
        eprintln!("{name:60} {}", desc.join(" -> "));
        assert!(!path.is_empty(), "{name} should reach admin");
        intended += 1;
    }
    eprintln!(
        "not flagged: {missed:?} (cannot escalate as deployed); their intended role principals flagged {intended}/{}",
        INTENDED_ROLES.len()
    );
    assert_eq!(privesc.1, 32);
    assert!(fns.0 >= 3);
    assert_eq!(fps.0, 0);
    assert_eq!(
        missed,
        BTreeSet::from(CANNOT_ESCALATE),
        "every privesc user that can escalate is flagged, and only those"
    );
    assert_eq!(privesc.0, 29);
}

/// The privesc users with no way to escalate in this deployment (see the module comment).
const CANNOT_ESCALATE: [&str; 3] = [
    "privesc-AssumeRole-start-user",
    "privesc12-PutRolePolicy-user",
    "privesc9-AttachRolePolicy-user",
];

/// IAM Vulnerable's profiles for those paths.
const INTENDED_ROLES: [&str; 3] = [
    "privesc9-AttachRolePolicy-role",
    "privesc12-PutRolePolicy-role",
    "privesc-AssumeRole-starting-role",
];
