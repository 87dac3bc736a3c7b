//! What baselines look at in one cloud event, extracted once: region, service, API call,
//! source network, user-agent family, and whether it was a read or a refusal. Values that are
//! missing or malformed come out as `None` so they are never learned into a baseline.

use crate::fasthash::{api_hash, value_hash};
use std::net::IpAddr;
use vigil_model::CloudEvent;

pub const DIM_REGION: u8 = 1;
pub const DIM_SERVICE: u8 = 2;
pub const DIM_NETWORK: u8 = 4;
pub const DIM_UA: u8 = 5;
pub const DIM_ROLE: u8 = 6;
pub const DIM_INSTANCE_TYPE: u8 = 7;

/// The features of one event, as hashes (cheap to look up) plus what is needed to explain them.
#[derive(Debug, Clone)]
pub struct Features<'a> {
    pub region: Option<&'a str>,
    pub region_h: u64,
    pub service: &'a str,
    pub service_h: u64,
    pub api_h: u64,
    pub network: Option<IpAddr>,
    pub network_h: u64,
    pub ua_family: Option<&'a str>,
    pub ua_h: u64,
    /// A List/Describe/Get call: reconnaissance when it sweeps regions.
    pub discovery: bool,
    pub error: bool,
    pub denied: bool,
}

impl<'a> Features<'a> {
    pub fn of(c: &'a CloudEvent) -> Features<'a> {
        let region = Some(c.region.as_str()).filter(|r| is_region(r));
        let service = c.service_short();
        let network = c.source_ip_addr();
        let ua_family = c.user_agent.as_deref().and_then(ua_family);
        let action = c.action.as_str();
        let error = c.error_code.is_some();
        Features {
            region,
            region_h: region.map_or(0, |r| value_hash(DIM_REGION, r)),
            service,
            service_h: value_hash(DIM_SERVICE, service),
            api_h: api_hash(service, action),
            network,
            network_h: network.map_or(0, network_hash),
            ua_family,
            ua_h: ua_family.map_or(0, |u| value_hash(DIM_UA, u)),
            discovery: ["List", "Describe", "Get"]
                .iter()
                .any(|p| action.starts_with(p)),
            error,
            denied: c.error_code.as_deref().is_some_and(is_denied),
        }
    }
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`: lowercase words joined by
/// hyphens ending in a number. Anything else is not learned as a region.
pub fn is_region(r: &str) -> bool {
    let b = r.as_bytes();
    (9..=24).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_lowercase)
        && b.get(2) == Some(&b'-')
        && b.last().is_some_and(u8::is_ascii_digit)
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Refusals that say the caller lacked permission (not throttling, not bad input).
pub fn is_denied(code: &str) -> bool {
    code.contains("AccessDenied")
        || code.contains("Unauthorized")
        || code.contains("NotAuthorized")
        || code == "Forbidden"
}

/// The network an address belongs to: its /24 (IPv4) or /48 (IPv6), hashed.
fn network_hash(ip: IpAddr) -> u64 {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            xxhash_rust::xxh3::xxh3_64_with_seed(&o[..3], u64::from(DIM_NETWORK))
        }
        IpAddr::V6(v6) => {
            let o = v6.octets();
            xxhash_rust::xxh3::xxh3_64_with_seed(&o[..6], u64::from(DIM_NETWORK) << 8)
        }
    }
}

fn format_args_v4(o: [u8; 4]) -> String {
    format!("{}.{}.{}.0/24", o[0], o[1], o[2])
}

/// The network of `ip` as a person reads it.
pub fn network_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format_args_v4(v4.octets()),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

/// The program family of a user agent: `aws-cli`, `Boto3`, `aws-sdk-go`, `browser`,
/// `console.amazonaws.com`. Versions and platform details are dropped.
pub fn ua_family(ua: &str) -> Option<&str> {
    // Byte searches (the delimiters are ASCII): every cloud event passes through here, and the
    // `char`-pattern forms were 2 % of a hunt. The same result as trimming first, which a
    // property test checks: trailing whitespace matters only when no delimiter comes before it.
    // Most agents start with a printable ASCII byte other than `[`: nothing to trim then
    // (`trim_start` decodes characters; it was most of this function's cost).
    let plain = ua
        .as_bytes()
        .first()
        .is_some_and(|&c| c > b' ' && c.is_ascii() && c != b'[');
    let ua = if plain {
        ua
    } else {
        ua.trim_start().trim_start_matches('[')
    };
    if ua.starts_with("Mozilla/") {
        return Some("browser");
    }
    let fam = match ua
        .bytes()
        .position(|b| matches!(b, b'/' | b' ' | b']' | b','))
    {
        // After a delimiter that is not a space, something other than whitespace follows.
        Some(end) if ua.as_bytes().get(end) != Some(&b' ') || !ua[end..].trim().is_empty() => {
            &ua[..end]
        }
        // Only whitespace from the delimiter on: the trailing whitespace trimmed first.
        Some(end) => ua[..end].trim_end(),
        None => ua.trim_end(),
    };
    (!fam.is_empty()).then_some(fam)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain statement of [`ua_family`], which the fast one must equal.
    fn ua_family_reference(ua: &str) -> Option<&str> {
        let ua = ua.trim().trim_start_matches('[');
        if ua.is_empty() {
            return None;
        }
        if ua.starts_with("Mozilla/") {
            return Some("browser");
        }
        let end = ua.find(['/', ' ', ']', ',']).unwrap_or(ua.len());
        let fam = &ua[..end];
        (!fam.is_empty()).then_some(fam)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        #[test]
        fn ua_family_is_its_reference(ua in "[ \\t\u{a0}\u{3000}\\[\\]/,a-zA-Z0-9.#-]{0,24}|Mozilla/5.0 .{0,10}|.{0,20}") {
            proptest::prop_assert_eq!(ua_family(&ua), ua_family_reference(&ua));
        }
    }

    #[test]
    fn regions_and_agents() {
        assert!(is_region("us-east-1"));
        assert!(is_region("us-gov-west-1"));
        assert!(!is_region("US-EAST-1"));
        assert!(!is_region(""));
        assert!(!is_region("mars-north-1x"));
        assert_eq!(
            ua_family("aws-cli/2.17.32 md/awscrt#0.21.2"),
            Some("aws-cli")
        );
        assert_eq!(
            ua_family("Boto3/1.35.10 md/Botocore#1.35.10"),
            Some("Boto3")
        );
        assert_eq!(ua_family("Mozilla/5.0 (X11)"), Some("browser"));
        assert_eq!(ua_family("[S3Browser]"), Some("S3Browser"));
        assert_eq!(ua_family("  "), None);
        assert_eq!(
            network_name("203.0.113.9".parse().unwrap()),
            "203.0.113.0/24"
        );
    }
}
