//! The posture API — identities, scans, attack paths, top risks — over the demo's posture as
//! the real engines computed it (tests/common/posture.rs).

use crate::common::http::{Client, bearer};
use crate::common::{ADMIN, AGENT, READER, fixture, start};
use serde_json::Value;

fn get(c: &Client, path: &str) -> Value {
    let a = c.get(path, &[("Authorization", &bearer(ADMIN))]);
    assert_eq!(a.status, 200, "{path}: {}", a.body);
    a.json()
}

fn enc(s: &str) -> String {
    s.replace('/', "%2F")
}

fn rows(v: &Value, key: &str) -> Vec<Value> {
    v[key].as_array().unwrap().clone()
}

#[test]
fn identities_list_with_risk_and_filters() {
    let f = fixture();
    let c = Client::new(f.server.addr());
    let m = &f.seeded.manifest;
    let all = get(&c, "/api/v1/identities");
    assert_eq!(all["stored"], true);
    let ids = rows(&all, "identities");
    assert_eq!(all["total"], all["summary"]["identities"]);
    assert!(ids.len() >= 10, "{} identities", ids.len());
    let scores: Vec<u64> = ids
        .iter()
        .map(|i| i["risk_score"].as_u64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "riskiest first: {scores:?}"
    );
    let dmitri = ids
        .iter()
        .find(|i| i["arn"] == m.contractor_user_arn.as_str())
        .unwrap();
    assert_eq!(dmitri["name"], m.contractor_user_name.as_str());
    assert!(dmitri["risk_score"].as_u64().unwrap() >= 50, "{dmitri}");
    let cats: Vec<&str> = dmitri["risks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["category"].as_str().unwrap())
        .collect();
    assert!(cats.contains(&"key_older_than_180_days"), "{cats:?}");
    assert!(cats.contains(&"hardcoded_key_exposed"), "{cats:?}");

    let roles = get(&c, "/api/v1/identities?type=role");
    assert!(
        rows(&roles, "identities")
            .iter()
            .all(|i| i["type"] == "role")
    );
    assert!(roles["total"].as_u64().unwrap() < all["total"].as_u64().unwrap());
    let risky = get(&c, "/api/v1/identities?min_risk=50");
    assert!(
        rows(&risky, "identities")
            .iter()
            .all(|i| i["risk_score"].as_u64().unwrap() >= 50)
    );
    let by_name = get(&c, "/api/v1/identities?q=DMITRI");
    assert_eq!(by_name["total"], 1, "{by_name}");
    let by_cat = get(&c, "/api/v1/identities?category=hardcoded_key_exposed");
    assert_eq!(
        rows(&by_cat, "identities")[0]["arn"],
        m.contractor_user_arn.as_str()
    );
    let page = get(&c, "/api/v1/identities?limit=2&offset=1");
    assert_eq!(rows(&page, "identities").len(), 2);
    assert_eq!(rows(&page, "identities")[0]["arn"], ids[1]["arn"]);
    let bad = c.get(
        "/api/v1/identities?min_risk=lots",
        &[("Authorization", &bearer(ADMIN))],
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
}

#[test]
fn an_identity_has_granted_vs_used_risks_links_and_remediations() {
    let f = fixture();
    let c = Client::new(f.server.addr());
    let m = &f.seeded.manifest;
    let role = get(
        &c,
        &format!("/api/v1/identities/{}", enc(&m.privileged_role_arn)),
    )["identity"]
        .clone();
    assert_eq!(role["name"], "InterlaceOpsAdmin");
    let p = &role["permissions"];
    let (granted, used) = (p["granted"].as_u64().unwrap(), p["used"].as_u64().unwrap());
    assert!(used > 0 && granted > used, "granted {granted}, used {used}");
    assert_eq!(p["unused"].as_u64().unwrap(), granted - used);
    assert!(!p["used_actions"].as_array().unwrap().is_empty());
    assert!(
        role["risks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["severity"].is_string())
    );
    let lp = role["remediations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "least_privilege_policy")
        .expect("a least-privilege policy")
        .clone();
    assert!(
        lp["policy"]["Statement"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "{lp}"
    );
    assert!(lp["replay"]["calls"].as_u64().unwrap() > 0, "{lp}");
    assert!(lp["replay"]["predicted_denials"].is_array());
    assert!(lp["risk_reduction"].as_u64().unwrap() > 0);

    // By name too; the contractor can become the role.
    let dmitri = get(
        &c,
        &format!("/api/v1/identities/{}", m.contractor_user_name),
    )["identity"]
        .clone();
    assert_eq!(dmitri["arn"], m.contractor_user_arn.as_str());
    // Links come grouped by method, each group with its count and, in the API, its ARNs.
    let assume = dmitri["linked"]["can_become"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["method"] == "sts-001")
        .unwrap_or_else(|| panic!("{}", dmitri["linked"]));
    let arns = assume["arns"].as_array().unwrap();
    assert!(
        arns.iter().any(|a| a == m.privileged_role_arn.as_str()),
        "{assume}"
    );
    assert_eq!(assume["count"].as_u64(), Some(arns.len() as u64));
    assert!(assume["set"].is_u64());
    // The list counts identities, not groups.
    let row = rows(&get(&c, "/api/v1/identities?limit=1000"), "identities")
        .into_iter()
        .find(|i| i["arn"] == m.contractor_user_arn.as_str())
        .unwrap();
    let linked_total: u64 = dmitri["linked"]["can_become"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["count"].as_u64().unwrap())
        .sum();
    assert_eq!(row["can_become"].as_u64(), Some(linked_total));
    // The scan's key is tied to its owner through CloudTrail, as in `vigil demo`.
    assert!(
        dmitri["risks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["category"] == "hardcoded_key_exposed"),
        "{}",
        dmitri["risks"]
    );
    let none = c.get(
        "/api/v1/identities/nobody",
        &[("Authorization", &bearer(ADMIN))],
    );
    assert_eq!(none.status, 404);
}

#[test]
fn scans_show_vulnerabilities_by_severity_and_secrets_redacted() {
    let f = fixture();
    let c = Client::new(f.server.addr());
    let m = &f.seeded.manifest;
    let target = format!("host:{}", m.compromised_instance_id);
    let list = get(&c, "/api/v1/scans");
    let row = rows(&list, "scans")
        .into_iter()
        .find(|s| s["target"] == target.as_str())
        .unwrap();
    assert_eq!(row["packages"], f.scan.packages.len());
    assert_eq!(row["vulnerabilities"], f.scan.vulnerabilities.len());
    assert_eq!(row["secrets"], f.scan.secrets.len());
    assert_eq!(row["max_severity"], "critical");
    let by_sev: u64 = row["vulnerabilities_by_severity"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_sev as usize, f.scan.vulnerabilities.len());

    let one = get(&c, &format!("/api/v1/scans/{target}"));
    let sevs: Vec<&str> = one["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["severity"].as_str().unwrap())
        .collect();
    assert_eq!(sevs.first(), Some(&"critical"), "worst first");
    let key = one["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["aws_access_key_id"] == m.contractor_access_key_id.as_str())
        .expect("the hard-coded key")
        .clone();
    assert_eq!(key["path"], format!("/{}", m.hardcoded_key_path));
    assert!(key["fingerprint"].as_str().unwrap().starts_with("xxh3:"));
    let preview = key["preview"].as_str().unwrap();
    assert!(preview.chars().skip(4).all(|ch| ch == '*'), "{preview}");
    assert!(
        m.contractor_secret_fingerprint
            .ends_with(key["fingerprint"].as_str().unwrap())
    );
    assert_eq!(
        c.get(
            "/api/v1/scans/host:i-nope",
            &[("Authorization", &bearer(ADMIN))]
        )
        .status,
        404
    );
}

#[test]
fn paths_are_ranked_with_steps_and_fix_and_risks_listed() {
    let f = fixture();
    let c = Client::new(f.server.addr());
    let m = &f.seeded.manifest;
    let doc = get(&c, "/api/v1/paths");
    assert_eq!(doc["stored"], true);
    let paths = rows(&doc, "paths");
    assert!(!paths.is_empty());
    let top = &paths[0];
    assert_eq!(top["rank"], 1);
    let nodes: Vec<(&str, &str)> = top["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["type"].as_str().unwrap(), n["id"].as_str().unwrap()))
        .collect();
    assert_eq!(nodes.first().map(|n| n.0), Some("internet"), "{nodes:?}");
    assert_eq!(
        nodes.last(),
        Some(&("data_store", m.rds_cluster_arn.as_str()))
    );
    for want in [
        ("instance", m.compromised_instance_id.as_str()),
        ("access_key", m.contractor_access_key_id.as_str()),
        ("user", m.contractor_user_arn.as_str()),
        ("role", m.privileged_role_arn.as_str()),
    ] {
        assert!(nodes.contains(&want), "{want:?} not on {nodes:?}");
    }
    assert_eq!(top["edges"].as_array().unwrap().len(), nodes.len() - 1);
    assert_eq!(top["walked"], true, "the story's alerts name its nodes");
    let fix = &top["fix"];
    assert_eq!(fix["kind"], "close_security_group_rule");
    assert!(
        fix["description"]
            .as_str()
            .unwrap()
            .contains(&m.security_group_id)
    );
    let first = &rows(&doc, "fix_first")[0];
    assert_eq!(first["key"], fix["key"]);
    assert_eq!(first["breaks"], doc["paths_total"]);
    let limited = get(&c, "/api/v1/paths?limit=1");
    assert_eq!(rows(&limited, "paths").len(), 1);

    let risks = get(&c, "/api/v1/risks");
    let list = rows(&risks, "risks");
    assert!(!list.is_empty());
    assert!(
        list.iter()
            .any(|r| r["subject"] == m.rds_cluster_arn.as_str())
    );
    let secrets = get(&c, "/api/v1/risks?category=exposed_secret");
    assert!(
        rows(&secrets, "risks")
            .iter()
            .all(|r| r["category"] == "exposed_secret")
    );
}

#[test]
fn the_secret_never_leaves_the_server_and_roles_apply() {
    let f = fixture();
    let c = Client::new(f.server.addr());
    let m = &f.seeded.manifest;
    let target = format!("host:{}", m.compromised_instance_id);
    let secret = &f.secret;
    for path in [
        "/api/v1/scans".to_string(),
        format!("/api/v1/scans/{target}"),
        "/api/v1/identities?limit=1000".into(),
        format!("/api/v1/identities/{}", enc(&m.contractor_user_arn)),
        "/api/v1/paths?limit=2000".into(),
        "/api/v1/risks".into(),
        "/scans".into(),
        format!("/scans/{target}"),
        format!("/identities/{}", enc(&m.contractor_user_arn)),
        "/paths?limit=100".into(),
        "/risks".into(),
    ] {
        let a = c.get(&path, &[("Authorization", &bearer(READER))]);
        assert_eq!(a.status, 200, "{path}");
        assert!(!a.body.contains(secret.as_str()), "{path} shows the secret");
        assert!(
            !a.body.contains(&secret[..12]),
            "{path} shows part of the secret"
        );
    }
    // The store itself holds no copy either.
    let store = vigil_store::Store::open(&f.data).unwrap();
    for (ns, key) in [
        (vigil_server::SCAN_NAMESPACE, target.as_str()),
        (vigil_server::POSTURE_NAMESPACE, vigil_server::IAM_KEY),
        (vigil_server::POSTURE_NAMESPACE, vigil_server::PATHS_KEY),
    ] {
        let v: Value = store.get_state(ns, key).unwrap().unwrap();
        assert!(!v.to_string().contains(secret.as_str()), "{ns}/{key}");
    }
    let agent = c.get("/api/v1/identities", &[("Authorization", &bearer(AGENT))]);
    assert_eq!(agent.status, 403);
    assert_eq!(c.get("/api/v1/paths", &[]).status, 401);
}

#[test]
fn nothing_stored_is_an_empty_answer_and_an_old_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(&data);
    let c = Client::new(server.addr());
    let ids = get(&c, "/api/v1/identities");
    assert_eq!(
        (ids["stored"].clone(), ids["total"].clone()),
        (false.into(), 0.into())
    );
    assert_eq!(get(&c, "/api/v1/paths")["stored"], false);
    assert_eq!(get(&c, "/api/v1/risks")["stored"], false);
    assert_eq!(get(&c, "/api/v1/scans")["total"], 0);
    assert_eq!(
        c.get("/api/v1/identities/x", &[("Authorization", &bearer(ADMIN))])
            .status,
        404
    );
    for page in ["/identities", "/scans", "/paths", "/risks"] {
        let a = c.get(page, &[("Authorization", &bearer(ADMIN))]);
        assert_eq!(a.status, 200, "{page}");
        assert!(a.body.contains("id=\"empty\""), "{page} has no empty state");
    }
    let mut store = vigil_store::Store::open(&data).unwrap();
    store
        .put_state(
            vigil_server::POSTURE_NAMESPACE,
            vigil_server::PATHS_KEY,
            &serde_json::json!({"version": 99, "source": "future", "stored_at": "2030-01-01T00:00:00Z", "report": {}}),
        )
        .unwrap();
    let a = c.get("/api/v1/paths", &[("Authorization", &bearer(ADMIN))]);
    assert_eq!(a.status, 409, "{}", a.body);
    assert!(
        a.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("re-run")
    );
}
