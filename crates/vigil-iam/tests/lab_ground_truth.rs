#![allow(clippy::expect_used, clippy::unwrap_used)]
//! cloudsplaining's deliberately vulnerable lab account: the privesc* users can escalate, the
//! fn* traps can too (other tools miss them), the fp* traps cannot. Prints the figures.

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
    for (i, p) in acct.principals.iter().enumerate() {
        if p.kind != vigil_iam::authz::PrincipalKind::User {
            continue;
        }
        let path = graph.path_to_admin(i);
        let flagged = path.as_ref().is_some_and(|p| !p.is_empty());
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
    assert_eq!(privesc.1, 32);
    assert!(fns.0 >= 3);
    assert_eq!(fps.0, 0);
}
