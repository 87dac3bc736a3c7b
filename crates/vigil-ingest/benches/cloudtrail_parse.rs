//! Parse + normalise throughput against sonic-rs parsing the same bytes into its DOM.
//! Target: `parse_cloudtrail_bytes` at ≥ 50 % of the DOM rate.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use vigil_ingest::{FileContext, Limits, parse_cloudtrail_bytes};

const RECORDS: usize = 20_000;

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
    let role = g.pick(&["Admin", "DeployRole", "ReadOnly", "LambdaExec"]);
    let session = format!("session-{:08x}", g.next() as u32);
    let ip = format!("203.0.{}.{}", g.next() % 256, g.next() % 256);
    let key = format!("ASIA{:016X}", g.next());
    let err = if g.next().is_multiple_of(10) {
        r#""errorCode":"AccessDenied","errorMessage":"User is not authorized to perform this operation because no identity-based policy allows it","#
    } else {
        ""
    };
    let sec = i % 60;
    let min = (i / 60) % 60;
    format!(
        concat!(
            r#"{{"eventVersion":"1.09","userIdentity":{{"type":"AssumedRole","principalId":"AROAEXAMPLEID{i}:{session}","#,
            r#""arn":"arn:aws:sts::{account}:assumed-role/{role}/{session}","accountId":"{account}","accessKeyId":"{key}","#,
            r#""sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROAEXAMPLEID{i}","arn":"arn:aws:iam::{account}:role/{role}","#,
            r#""accountId":"{account}","userName":"{role}"}},"attributes":{{"creationDate":"2024-05-01T11:00:00Z","mfaAuthenticated":"false"}},"#,
            r#""sourceIdentity":"alice@example.com"}}}},"eventTime":"2024-05-01T12:{min:02}:{sec:02}Z","eventSource":"{source}","#,
            r#""eventName":"{name}","awsRegion":"{region}","sourceIPAddress":"{ip}","#,
            r#""userAgent":"aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.amzn.2 prompt/off command/{name}",{err}"#,
            r#""requestParameters":{{"bucketName":"prod-data-{i}","key":"exports/2024/05/01/part-{i:05}.parquet","Host":"prod-data.s3.{region}.amazonaws.com","#,
            r#""filters":[{{"name":"instance-state-name","values":["running","stopped"]}},{{"name":"tag:Team","values":["payments"]}}],"maxResults":1000}},"#,
            r#""responseElements":{{"credentials":{{"accessKeyId":"{key}","expiration":"May 1, 2024, 1:00:00 PM","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLETOKENEXAMPLETOKENEXAMPLETOKEN{i}"}},"assumedRoleUser":{{"assumedRoleId":"AROAEXAMPLEID{i}:{session}","arn":"arn:aws:sts::{account}:assumed-role/{role}/{session}"}}}},"#,
            r#""additionalEventData":{{"SignatureVersion":"SigV4","CipherSuite":"ECDHE-RSA-AES128-GCM-SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"EXAMPLEamzid2EXAMPLEamzid2EXAMPLE{i}","bytesTransferredOut":48213}},"#,
            r#""requestID":"{req:032x}","eventID":"{eid:032x}","readOnly":true,"#,
            r#""resources":[{{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::prod-data-{i}/exports/2024/05/01/part-{i:05}.parquet"}},{{"accountId":"{account}","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::prod-data-{i}"}}],"#,
            r#""eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"{account}","sharedEventID":"{eid:032x}","eventCategory":"Data","#,
            r#""tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"prod-data.s3.{region}.amazonaws.com"}}}}"#
        ),
        i = i,
        session = session,
        account = account,
        role = role,
        key = key,
        min = min,
        sec = sec,
        source = source,
        name = name,
        region = region,
        ip = ip,
        err = err,
        req = u128::from(g.next()),
        eid = (u128::from(g.next()) << 64) | u128::from(g.next()),
    )
}

pub fn records_document(n: usize) -> Vec<u8> {
    let mut g = Gen(42);
    let mut out = String::from("{\"Records\":[");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&record(&mut g, i));
    }
    out.push_str("]}");
    out.into_bytes()
}

fn bench(c: &mut Criterion) {
    let doc = records_document(RECORDS);
    let ctx = FileContext::new(&Limits::default());
    let (events, skips) = parse_cloudtrail_bytes(&doc, &ctx);
    assert_eq!(
        (events.len(), skips.len()),
        (RECORDS, 0),
        "{:?}",
        skips.first()
    );
    eprintln!(
        "{} records, {} bytes ({} bytes/record)",
        RECORDS,
        doc.len(),
        doc.len() / RECORDS
    );

    let mut group = c.benchmark_group("cloudtrail_bytes");
    group.throughput(Throughput::Bytes(doc.len() as u64));
    group.bench_function("sonic_rs_value", |b| {
        b.iter(|| black_box(sonic_rs::from_slice::<sonic_rs::Value>(black_box(&doc)).is_ok()))
    });
    group.bench_function("parse_cloudtrail_bytes", |b| {
        b.iter(|| black_box(parse_cloudtrail_bytes(black_box(&doc), &ctx).0.len()))
    });
    group.finish();

    let mut group = c.benchmark_group("cloudtrail_records");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("sonic_rs_value", |b| {
        b.iter(|| black_box(sonic_rs::from_slice::<sonic_rs::Value>(black_box(&doc)).is_ok()))
    });
    group.bench_function("parse_cloudtrail_bytes", |b| {
        b.iter(|| black_box(parse_cloudtrail_bytes(black_box(&doc), &ctx).0.len()))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
