//! Writes records in CloudTrail's S3 layout: one gzip `{"Records":[...]}` file per region per
//! 5–15 minutes, records unsorted inside a file, a few delivered one file late, and a daily
//! digest file per region (which ingest must skip).

use crate::DemoError;
use crate::clock::{self, DAY, MINUTE};
use crate::cloudtrail_records::Record;
use crate::ids::{self, DemoRng};
use flate2::Compression;
use flate2::write::GzEncoder;
use rand::Rng;
use rand::seq::SliceRandom;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use vigil_model::Timestamp;

pub const TRAIL_NAME: &str = "interlace-trail";
/// Share of records delivered in the next file.
const LATE_SHARE: f64 = 0.003;

#[derive(Debug, Default, Clone, Copy)]
pub struct WriteStats {
    pub files: u64,
    pub digest_files: u64,
    pub records: u64,
    pub late_records: u64,
}

pub struct TrailWriter {
    root: PathBuf,
    account: String,
    bucket: String,
    pub stats: WriteStats,
}

pub fn write_gz(path: &Path, chunks: &[&[u8]]) -> Result<(), DemoError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| DemoError::io(dir, e))?;
    }
    let file = std::fs::File::create(path).map_err(|e| DemoError::io(path, e))?;
    let mut gz = GzEncoder::new(BufWriter::with_capacity(1 << 16, file), Compression::new(3));
    for c in chunks {
        gz.write_all(c).map_err(|e| DemoError::io(path, e))?;
    }
    gz.finish()
        .and_then(|mut w| w.flush())
        .map_err(|e| DemoError::io(path, e))
}

impl TrailWriter {
    pub fn new(out_dir: &Path, account: &str, bucket: &str) -> Self {
        TrailWriter {
            root: out_dir.join("cloudtrail"),
            account: account.to_string(),
            bucket: bucket.to_string(),
            stats: WriteStats::default(),
        }
    }

    /// Writes one day's records (any order) for every region they fall in.
    pub fn write_day(
        &mut self,
        day0: Timestamp,
        records: Vec<Record>,
        rng: &mut DemoRng,
    ) -> Result<(), DemoError> {
        let mut by_region: BTreeMap<String, Vec<Record>> = BTreeMap::new();
        for r in records {
            by_region.entry(r.region.clone()).or_default().push(r);
        }
        for (region, mut recs) in by_region {
            recs.sort_by_key(|r| r.time);
            let mut objects = Vec::new();
            let mut carry: Vec<Record> = Vec::new();
            let mut iter = recs.into_iter().peekable();
            let mut cursor = day0;
            let day_end = day0.plus_millis(DAY);
            let (mut oldest, mut newest) = (None::<Timestamp>, None::<Timestamp>);
            while cursor < day_end {
                let end = cursor
                    .plus_millis(rng.random_range(5..=15) * MINUTE)
                    .min(day_end);
                let mut batch = std::mem::take(&mut carry);
                while let Some(r) = iter.next_if(|r| r.time < end) {
                    if end < day_end && rng.random_bool(LATE_SHARE) {
                        self.stats.late_records += 1;
                        carry.push(r);
                    } else {
                        batch.push(r);
                    }
                }
                if !batch.is_empty() {
                    for r in &batch {
                        oldest = Some(oldest.map_or(r.time, |o| o.min(r.time)));
                        newest = Some(newest.map_or(r.time, |n| n.max(r.time)));
                    }
                    batch.shuffle(rng);
                    objects.push(self.write_file(&region, end, &batch, rng)?);
                }
                cursor = end;
            }
            if let (Some(o), Some(n)) = (oldest, newest) {
                self.write_digest(&region, day_end, o, n, &objects, rng)?;
            }
        }
        Ok(())
    }

    fn write_file(
        &mut self,
        region: &str,
        stamp: Timestamp,
        batch: &[Record],
        rng: &mut DemoRng,
    ) -> Result<String, DemoError> {
        let key = format!(
            "AWSLogs/{acct}/CloudTrail/{region}/{date}/{acct}_CloudTrail_{region}_{stamp}_{suffix}.json.gz",
            acct = self.account,
            date = clock::date_path(stamp),
            stamp = clock::file_stamp(stamp),
            suffix = ids::alnum(rng, 16),
        );
        let mut body =
            Vec::with_capacity(batch.iter().map(|r| r.json.len() + 1).sum::<usize>() + 16);
        body.extend_from_slice(b"{\"Records\":[");
        for (i, r) in batch.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(r.json.as_bytes());
        }
        body.extend_from_slice(b"]}");
        write_gz(&self.root.join(&key), &[&body])?;
        self.stats.files += 1;
        self.stats.records += batch.len() as u64;
        Ok(key)
    }

    fn write_digest(
        &mut self,
        region: &str,
        end: Timestamp,
        oldest: Timestamp,
        newest: Timestamp,
        objects: &[String],
        rng: &mut DemoRng,
    ) -> Result<(), DemoError> {
        let start = end.plus_millis(-DAY);
        let key = format!(
            "AWSLogs/{acct}/CloudTrail-Digest/{region}/{date}/{acct}_CloudTrail-Digest_{region}_{TRAIL_NAME}_us-east-1_{stamp}.json.gz",
            acct = self.account,
            date = clock::date_path(end),
            stamp = clock::digest_stamp(end),
        );
        let log_files: Vec<_> = objects
            .iter()
            .map(|o| {
                json!({
                    "s3Bucket": self.bucket,
                    "s3Object": o,
                    "hashValue": ids::hex(rng, 64),
                    "hashAlgorithm": "SHA-256",
                })
            })
            .collect();
        let digest = json!({
            "awsAccountId": self.account,
            "digestStartTime": clock::event_time(start),
            "digestEndTime": clock::event_time(end),
            "digestS3Bucket": self.bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": ids::hex(rng, 32),
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": clock::event_time(newest),
            "oldestEventTime": clock::event_time(oldest),
            "previousDigestS3Bucket": self.bucket,
            "previousDigestHashValue": ids::hex(rng, 64),
            "previousDigestHashAlgorithm": "SHA-256",
            "previousDigestSignature": ids::hex(rng, 512),
            "logFiles": log_files,
        });
        write_gz(&self.root.join(&key), &[digest.to_string().as_bytes()])?;
        self.stats.digest_files += 1;
        Ok(())
    }
}
