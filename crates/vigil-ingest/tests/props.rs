#![allow(clippy::expect_used, clippy::unwrap_used)]

//! Property tests: no input panics, damage costs only the damaged record, and the salvage
//! splitter agrees with serde_json.

use proptest::prelude::*;
use vigil_ingest::split::split_array;
use vigil_ingest::{FileContext, Limits, parse_cloudtrail};

fn record(i: usize) -> String {
    format!(
        r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u{i}","userName":"u{i}"}},"eventTime":"2024-05-01T12:00:{:02}Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","requestParameters":{{"maxItems":{i},"marker":"m\"{i}"}},"eventID":"id-{i}","awsRegion":"us-east-1","recipientAccountId":"111122223333"}}"#,
        i % 60
    )
}

fn document(n: usize) -> (String, Vec<std::ops::Range<usize>>) {
    let mut doc = String::from("{\"Records\":[");
    let mut spans = Vec::new();
    for i in 0..n {
        if i > 0 {
            doc.push(',');
        }
        let start = doc.len();
        doc.push_str(&record(i));
        spans.push(start..doc.len());
    }
    doc.push_str("]}");
    (doc, spans)
}

fn ctx() -> FileContext {
    FileContext::new(&Limits::default())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_cloudtrail(&bytes, &ctx());
        let _ = vigil_ingest::parse_host_bytes(&bytes, &ctx());
    }

    #[test]
    fn json_ish_bytes_never_panic(s in "[\\[\\]{}\":,\\\\a-z0-9 \n]{0,400}") {
        let _ = parse_cloudtrail(s.as_bytes(), &ctx());
        let wrapped = format!("{{\"Records\":[{s}");
        let _ = parse_cloudtrail(wrapped.as_bytes(), &ctx());
    }

    /// Overwrite part of one record with arbitrary bytes: every other record survives.
    #[test]
    fn mutation_costs_only_the_mutated_record(
        n in 2usize..8,
        victim in 0usize..8,
        at in 0.0f64..1.0,
        len in 1usize..40,
        junk in proptest::collection::vec(any::<u8>(), 1..40),
    ) {
        let victim = victim % n;
        let (doc, spans) = document(n);
        let mut bytes = doc.into_bytes();
        let span = spans[victim].clone();
        let start = span.start + ((span.len() as f64 * at) as usize).min(span.len() - 1);
        let end = (start + len).min(span.end);
        bytes.splice(start..end, junk);
        let out = parse_cloudtrail(&bytes, &ctx());
        for i in (0..n).filter(|i| *i != victim) {
            let id = format!("id-{i}");
            prop_assert!(out.events.iter().any(|e| e.id == id), "lost {} of {}: {:?}", id, n, out.skips);
        }
        prop_assert!(out.events.len() <= n);
    }

    /// Cut the document anywhere: every record that ends before the cut survives.
    #[test]
    fn truncation_keeps_the_complete_prefix(n in 1usize..8, at in 0.0f64..1.0) {
        let (doc, spans) = document(n);
        let cut = (doc.len() as f64 * at) as usize;
        let out = parse_cloudtrail(&doc.as_bytes()[..cut], &ctx());
        let complete = spans.iter().filter(|s| s.end <= cut).count();
        prop_assert!(out.events.len() >= complete, "{} < {}: {:?}", out.events.len(), complete, out.skips);
    }

    /// On valid arrays the splitter finds exactly serde_json's elements.
    #[test]
    fn splitter_matches_serde_json(v in json_array(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&v) } else { serde_json::to_string(&v) }.unwrap();
        let split = split_array(text.as_bytes(), 0);
        prop_assert!(split.closed);
        prop_assert!(split.partial.is_none());
        let elems: Vec<serde_json::Value> = split
            .elements
            .iter()
            .map(|r| serde_json::from_str(&text[r.clone()]).unwrap())
            .collect();
        prop_assert_eq!(serde_json::Value::Array(elems), v);
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[\\[\\]{}\":,\\\\]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn json_array() -> impl Strategy<Value = serde_json::Value> {
    proptest::collection::vec(json_value(), 0..8).prop_map(serde_json::Value::Array)
}

/// One array element for the fast-path differential: the shapes real and damaged trails hold.
fn element() -> impl Strategy<Value = String> {
    let pad = "[a-z<>&\"\\\\é ]{0,300}".prop_map(|p| serde_json::to_string(&p).unwrap());
    (0usize..18, 0usize..60, pad).prop_map(|(kind, n, pad)| {
        let body = format!(
            r#""eventTime":"2024-05-01T12:00:{n:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","requestParameters":{{"bucketName":"b{n}","note":{pad}}},"recipientAccountId":"111122223333""#
        );
        match kind {
            0 => format!(r#"{{"eventVersion":"1.09",{body},"eventID":"e{n}"}}"#),
            1 => format!(r#"{{"eventVersion":"1.09",{body}}}"#),
            2 => format!(r#"{{"eventVersion":"1.09","eventName":"X","eventID":"m{n}","pad":{pad}}}"#),
            3 => format!(
                r#"{{"version":"0","detail-type":"AWS API Call via CloudTrail","account":"111122223333","region":"eu-west-1","time":"2024-05-01T12:00:00Z","detail":{{{body},"eventID":"d{n}"}}}}"#
            ),
            4 => {
                let inner = format!(r#"{{{body},"eventID":"l{n}"}}"#);
                format!(
                    r#"{{"EventId":"l{n}","CloudTrailEvent":{}}}"#,
                    serde_json::to_string(&inner).unwrap()
                )
            }
            5 => ["12", "\"text\"", "[1,2]", "null", "{}"][n % 5].to_string(),
            6 => format!(r#"{{"event\u0056ersion":"1.09",{body},"eventID":"x{n}"}}"#),
            7 => format!(r#"{{"pad":{pad},{body},"eventID":"p{n}"}}"#),
            8 => format!(r#"{{"eventVersion":"1.09",{body},"eventID":"t{n}""#),
            9 => format!("{{\n  \"eventVersion\": \"1.09\",\n  {body},\n  \"eventID\": \"w{n}\"\n}}"),
            10 => {
                let mfa = ["\"true\"", "true", "\"FALSE\"", "null", "\"maybe\"", "1"][n % 6];
                let ro = ["true", "\"false\"", "null", "\"True\"", "[1]"][n % 5];
                format!(
                    r#"{{"userIdentity":{{"type":"AssumedRole","principalId":"AROA:s{n}","arn":"arn:aws:sts::111122223333:assumed-role/R{n}/s{n}","accountId":"111122223333","accessKeyId":"ASIA{n}","sessionContext":{{"sessionIssuer":{{"type":"Role","arn":"arn:aws:iam::111122223333:role/R{n}","userName":"R{n}"}},"attributes":{{"creationDate":"x","mfaAuthenticated":{mfa}}},"sourceIdentity":null}},"onBehalfOf":{{"userId":"u{n}","identityStoreArn":"arn:is"}},"invokedBy":null}},{body},"readOnly":{ro},"resources":[{{"ARN":"arn:a{n}","type":"T"}},"repr",null,[1],{{"arn":"arn:b","accountId":"1"}},{{}}],"eventID":"i{n}"}}"#
                )
            }
            11 => {
                let odd = [
                    r#""userIdentity":{"type":"IAMUser","accountId":123}"#,
                    r#""userIdentity":["IAMUser","arn"]"#,
                    r#""userIdentity":null"#,
                    r#""resources":{"ARN":"a"}"#,
                    r#""resources":[{"ARN":"a","arn":"b"}]"#,
                    r#""userIdentity":{"type":"Root","type":"IAMUser"}"#,
                    r#""errorCode":true"#,
                    r#""responseElements":null,"additionalEventData":[1,{"a":null}]"#,
                ][n % 8];
                format!(r#"{{{odd},{body},"eventID":"o{n}"}}"#)
            }
            12 => format!(r#"{{{body},"eventName":"Second","eventID":"d{n}","eventID":"dd{n}"}}"#),
            13 => format!(
                r#"{{{body},"userAgent":"aws-cli \"quoted\" \u00e9 \ud83d\ude00 \/","errorMessage":"tab\there","eventID":"u{n}"}}"#
            ),
            14 => {
                let d = [3, 101, 600][n % 3];
                let deep = format!("{}1{}", "[".repeat(d), "]".repeat(d));
                format!(r#"{{"eventTime":"2024-05-01T12:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","requestParameters":{{"x":{deep}}},"eventID":"n{n}"}}"#)
            }
            15 => format!(r#"{{ "eventID" : "s{n}" , {body} , "tlsDetails" : {{ "x" : [ 1 , 2.5e-3 , -0 , true , false , null ] }} }}"#),
            16 => format!(r#"{{{body},"eventID":"b{n}","pad":"\x"}}"#),
            _ => format!(r#"{{{body},"eventID":"c{n}","pad":"ctl\u0001"}}"#),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    /// The one-pass fast path gives exactly what the general path gives (events, skips with
    /// their reasons and places, record counts), whatever the document holds, including records
    /// over the size limit, records without an id, envelopes, non-objects and damage.
    #[test]
    fn one_pass_equals_general_path(
        elems in proptest::collection::vec(element(), 0..12),
        shape in 0usize..6,
        sep in prop_oneof![Just(","), Just(",\n  "), Just(" , ")],
        line_sep in prop_oneof![
            Just("\n"),
            Just("\r\n"),
            Just("\n\n \t"),
            Just("\n\x0c"),
            Just(" \n"),
        ],
        small_limit in any::<bool>(),
    ) {
        let list = elems.join(sep);
        let doc = match shape {
            0 => format!(r#"{{"Records":[{list}]}}"#),
            1 => format!("[{list}]"),
            2 => format!("{{\"before\": {{\"x\": [1]}},\n \"Records\": [\n{list}\n],\n \"after\": 1}}"),
            3 => format!(r#"{{"Events":[{list}],"NextToken":null}}"#),
            // JSON lines (read line by line; the fast reader first).
            4 => elems.iter().map(|e| e.replace('\n', " ")).collect::<Vec<_>>().join("\n"),
            // JSON lines with blank lines, CR LF, form feeds and records that span lines
            // (skipped line by line, the same way on both paths).
            _ => format!("\u{feff}{}\n", elems.join(line_sep)),
        };
        let ctx = FileContext {
            // Small enough that some records are over it, or large enough for all.
            max_record_bytes: if small_limit { 420 } else { 4096 },
            ..FileContext::new(&Limits::default())
        };
        let fast = parse_cloudtrail(doc.as_bytes(), &ctx);
        let general = vigil_ingest::parse_cloudtrail_general(doc.as_bytes(), &ctx);
        prop_assert_eq!(fast, general, "{}", doc);
    }
}

/// `userIdentity` objects for the memo differential: a few sessions, and texts that differ from
/// them by a little (one character, a member more, whitespace, an escape, no account).
fn identity_text(which: usize) -> String {
    let base = |s: &str, acct: &str| {
        format!(
            r#"{{"type":"AssumedRole","principalId":"AROAEXAMPLE:{s}","arn":"arn:aws:sts::111122223333:assumed-role/web/{s}","accountId":"{acct}","accessKeyId":"ASIA{s}","sessionContext":{{"sessionIssuer":{{"type":"Role","arn":"arn:aws:iam::111122223333:role/web","userName":"web"}},"attributes":{{"creationDate":"2024-05-01T11:00:00Z","mfaAuthenticated":"false"}}}}}}"#
        )
    };
    match which {
        0 => base("i-0aaa", "111122223333"),
        1 => base("i-0aab", "111122223333"),
        2 => base("i-0aaa", "444455556666"),
        3 => base("i-0aaa", ""),
        4 => base("i-0aaa", "111122223333").replacen(
            r#""type":"AssumedRole""#,
            r#""type":"AssumedRole","invokedBy":"ec2.amazonaws.com""#,
            1,
        ),
        5 => base("i-0aaa", "111122223333").replace(",\"", ", \""),
        6 => base("i-0aaa", "111122223333").replace(",\"", ",\n\""),
        7 => base("i-0a\\u0061a", "111122223333"),
        8 => {
            // Starts like session 0 and is cut short: not an object.
            let t = base("i-0aaa", "111122223333");
            t[..t.len() - 1].to_string()
        }
        9 => r#"{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"alice"}"#.to_string(),
        _ => r#"{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}"#.to_string(),
    }
}

/// `resources` arrays for the memo differential: one, and texts that differ from it by a
/// little (a character deep inside, whitespace, cut short, a line feed, elements that are not
/// resources, an escape), or none.
fn resources_text(which: usize) -> String {
    let base = r#"[{"ARN":"arn:aws:s3:::logs-111122223333/a/b/c.json","type":"AWS::S3::Object"},{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::logs-111122223333"}]"#;
    match which {
        0 => base.to_string(),
        1 => base.replace("c.json", "d.json"),
        2 => base.replace("},{", "}, {"),
        3 => base[..base.len() - 1].to_string(),
        4 => base.replace("},{", "},\n{"),
        5 => base.replace("}]", "},\"repr\",null,{}]"),
        6 => base.replace("c.json", "\\u0063.json"),
        _ => "null".to_string(),
    }
}

/// `tlsDetails` objects for the memo differential (read by nobody, checked by both paths).
fn tls_text(which: usize) -> String {
    let base = r#"{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"s3.amazonaws.com"}"#;
    match which {
        0 => base.to_string(),
        1 => base.replace("s3.amazonaws", "s4.amazonaws"),
        2 => base[..base.len() - 1].to_string(),
        3 => base.replace(",\"", ",\n\""),
        4 => base.replace("}", ",\"x\":[1,{}]}"),
        _ => "null".to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// An identity, a `resources` array or a `tlsDetails` the fast path remembers from earlier
    /// records (and earlier documents read on the same thread) reads exactly as the general
    /// path reads it, however close the texts around it come.
    #[test]
    fn remembered_identities_read_as_the_general_path_reads_them(
        picks in proptest::collection::vec((0usize..11, 0usize..3, 0usize..6, 0usize..8, 0usize..6), 1..16),
        lines in any::<bool>(),
    ) {
        let records: Vec<String> = picks
            .iter()
            .enumerate()
            .map(|(i, &(which, tail, params, res, tls))| {
                let after = [
                    r#","recipientAccountId":"999988887777""#,
                    "",
                    r#","awsRegion":"eu-west-1""#,
                ][tail];
                // Skipped and kept values, the same or nearly: one more member, deeper, cut
                // short (invalid), a line feed inside.
                let kept = r#"{"bucketName":"logs-111122223333","key":"a/b/c.json","x":[1,{"y":null}]}"#;
                let params = [
                    kept.to_string(),
                    kept.replace("null}]}", "null}],\"z\":true}"),
                    kept.replace("[1,", "[[[1]],"),
                    kept[..kept.len() - 1].to_string(),
                    kept.replace(",", ",\n"),
                    "null".to_string(),
                ][params]
                .clone();
                let after = format!(
                    r#"{after},"requestParameters":{params},"resources":{},"tlsDetails":{}"#,
                    resources_text(res),
                    tls_text(tls)
                );
                format!(
                    r#"{{"eventTime":"2024-05-01T12:00:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{}{after},"eventID":"m{i}"}}"#,
                    i % 60,
                    identity_text(which)
                )
            })
            .collect();
        let doc = if lines {
            records.join("\n")
        } else {
            format!(r#"{{"Records":[{}]}}"#, records.join(","))
        };
        let general = vigil_ingest::parse_cloudtrail_general(doc.as_bytes(), &ctx());
        // Three times: a text is remembered the second time it is read, so the third reading
        // finds every one remembered.
        for _ in 0..3 {
            let fast = parse_cloudtrail(doc.as_bytes(), &ctx());
            prop_assert_eq!(&fast, &general, "{}", doc);
        }
    }
}
