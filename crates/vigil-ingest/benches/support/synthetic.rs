//! Synthetic CloudTrail for the benches: ~2.3 KB records shaped like real ones (an assumed-role
//! session with its issuer, request and response parameters, resources, TLS details), drawn
//! from a deterministic generator so every run measures the same bytes.
//!
//! Identities repeat the way they do in real trails: a role session (and its `ASIA…` key)
//! makes a run of calls from one address, addresses come from a pool of a few hundred, buckets
//! from a pool of fifty, and only S3 data events name a (fresh) object. In the demo's month of
//! CloudTrail, 113k events involve 8.8k distinct entities; here 1M events involve about 60k
//! sessions, keys and objects' worth. (Until 2026-11-26 every record had its own session, key,
//! address and bucket: six new entities per event, which no real trail shows. Until 2026-11-27
//! a session's role was drawn per call and its role id carried the call's number, so no two
//! records had the same `userIdentity`; in real trails a session's identity object is the same
//! in every call it makes.) Shared by
//! `vigil-ingest`'s parse bench and `vigil`'s pipeline bench (included with `#[path]`).

#![allow(dead_code)]

/// A deterministic generator (splitmix64), so every run measures the same bytes.
struct Gen(u64);
impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// Calls per role session.
const SESSION_CALLS: usize = 200;
/// Distinct source addresses.
const IP_POOL: u64 = 400;
/// Distinct buckets.
const BUCKETS: u64 = 50;

fn mix(x: u64) -> u64 {
    Gen(x).next()
}

fn record(g: &mut Gen, i: usize) -> String {
    let account = "111122223333";
    let region = g.pick(&["us-east-1", "eu-west-1", "ap-southeast-2"]);
    let (source, name) = *[
        ("s3.amazonaws.com", "GetObject"),
        ("ec2.amazonaws.com", "DescribeInstances"),
        ("iam.amazonaws.com", "CreateAccessKey"),
        ("sts.amazonaws.com", "AssumeRole"),
        ("kms.amazonaws.com", "Decrypt"),
    ]
    .get((g.next() % 5) as usize)
    .unwrap_or(&("s3.amazonaws.com", "GetObject"));
    // A session of ~200 calls: its role, name, key and address follow from its number.
    let run = (i / SESSION_CALLS) as u64;
    let roles = ["Admin", "DeployRole", "ReadOnly", "LambdaExec"];
    let role = roles[(mix(run ^ 0x70) % 4) as usize];
    // A role's id is the role's, not the call's.
    let role_id = format!("AROAEXAMPLE{}", role.to_ascii_uppercase());
    let session = format!("session-{:08x}", mix(run) as u32);
    let key = format!("ASIA{:016X}", mix(run ^ 0x5eed));
    let host = mix(run ^ 0x1d) % IP_POOL;
    let ip = format!("203.0.{}.{}", host / 256, host % 256);
    let err = if g.next().is_multiple_of(10) {
        r#""errorCode":"AccessDenied","errorMessage":"User is not authorized to perform this operation because no identity-based policy allows it","#
    } else {
        ""
    };
    let bucket = g.next() % BUCKETS;
    let resources = if source.starts_with("s3.") {
        format!(
            r#"{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::prod-data-{bucket}/exports/2024/05/01/part-{i:05}.parquet"}},{{"accountId":"{account}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::prod-data-{bucket}"}}"#
        )
    } else {
        format!(
            r#"{{"accountId":"{account}","type":"AWS::IAM::Role","ARN":"arn:aws:iam::{account}:role/{role}"}}"#
        )
    };
    // One record a second from 2024-05-01T00:00:00Z.
    let (day, hour) = (1 + i / 86_400, (i / 3600) % 24);
    let (min, sec) = ((i / 60) % 60, i % 60);
    format!(
        concat!(
            r#"{{"eventVersion":"1.09","userIdentity":{{"type":"AssumedRole","principalId":"{role_id}:{session}","#,
            r#""arn":"arn:aws:sts::{account}:assumed-role/{role}/{session}","accountId":"{account}","accessKeyId":"{key}","#,
            r#""sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"{role_id}","arn":"arn:aws:iam::{account}:role/{role}","#,
            r#""accountId":"{account}","userName":"{role}"}},"attributes":{{"creationDate":"2024-05-01T11:00:00Z","mfaAuthenticated":"false"}},"#,
            r#""sourceIdentity":"alice@example.com"}}}},"eventTime":"2024-05-{day:02}T{hour:02}:{min:02}:{sec:02}Z","eventSource":"{source}","#,
            r#""eventName":"{name}","awsRegion":"{region}","sourceIPAddress":"{ip}","#,
            r#""userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.amzn.2 prompt/off command/{name}",{err}"#,
            r#""requestParameters":{{"bucketName":"prod-data-{bucket}","key":"exports/2024/05/01/part-{i:05}.parquet","Host":"prod-data.s3.{region}.amazonaws.com","#,
            r#""filters":[{{"name":"instance-state-name","values":["running","stopped"]}},{{"name":"tag:Team","values":["payments"]}}],"maxResults":1000}},"#,
            r#""responseElements":{{"credentials":{{"accessKeyId":"{key}","expiration":"May 1, 2024, 1:00:00 PM","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLETOKENEXAMPLETOKENEXAMPLETOKEN{i}"}},"assumedRoleUser":{{"assumedRoleId":"{role_id}:{session}","arn":"arn:aws:sts::{account}:assumed-role/{role}/{session}"}}}},"#,
            r#""additionalEventData":{{"SignatureVersion":"SigV4","CipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"EXAMPLEamzid2EXAMPLEamzid2EXAMPLE{i}","bytesTransferredOut":48213}},"#,
            r#""requestID":"{req:032x}","eventID":"{eid:032x}","readOnly":true,"#,
            r#""resources":[{resources}],"#,
            r#""eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"{account}","sharedEventID":"{eid:032x}","eventCategory":"Data","#,
            r#""tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"prod-data.s3.{region}.amazonaws.com"}}}}"#
        ),
        i = i,
        session = session,
        account = account,
        role = role,
        role_id = role_id,
        key = key,
        day = day,
        hour = hour,
        min = min,
        sec = sec,
        source = source,
        name = name,
        region = region,
        ip = ip,
        err = err,
        bucket = bucket,
        resources = resources,
        req = u128::from(g.next()),
        eid = (u128::from(g.next()) << 64) | u128::from(g.next()),
    )
}

/// A `{"Records":[...]}` document of `n` records.
pub fn records_document(n: usize) -> Vec<u8> {
    records_document_at(42, 0, n)
}

/// `n` records numbered from `first` (which sets their event times), random parts drawn from
/// `seed`: documents with different seeds share no event id.
pub fn records_document_at(seed: u64, first: usize, n: usize) -> Vec<u8> {
    let mut g = Gen(seed);
    let mut out = String::with_capacity(n * 2400);
    out.push_str("{\"Records\":[");
    for i in first..first + n {
        if i > first {
            out.push(',');
        }
        out.push_str(&record(&mut g, i));
    }
    out.push_str("]}");
    out.into_bytes()
}
