//! An [`EventBody`] as JSON, written by hand for cloud events: the same bytes `serde_json`
//! writes through the derived `Serialize` (a property test holds the two equal), about twice as
//! fast.
//!
//! Why by hand: the store encodes every event it keeps, and through serde each field went
//! through the serializer's key escaping, map protocol and `io::Write` calls; in the ingest
//! bench that was a tenth of all CPU. Here keys are constants and values are copied, escaped
//! only where a byte needs it. Host events are rarer and keep the derived form.
//!
//! Every struct is destructured without `..` and every enum matched without `_`, so a field
//! added to the model does not compile until it is written here too.

use crate::cloud::{Actor, CloudEvent, ResourceRef};
use crate::event::EventBody;
use crate::raw_json::RawJson;

/// Appends `body` as JSON to `out`, byte for byte what `serde_json::to_writer` writes.
pub fn write_body_json(body: &EventBody, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    match body {
        EventBody::Cloud(c) => {
            out.extend_from_slice(b"{\"cloud\":");
            cloud(c, out);
            out.push(b'}');
            Ok(())
        }
        EventBody::Host(_) => serde_json::to_writer(out, body),
    }
}

fn cloud(c: &CloudEvent, out: &mut Vec<u8>) {
    let CloudEvent {
        account,
        region,
        service,
        action,
        event_type,
        actor: who,
        access_key_id,
        source_ip,
        user_agent,
        error_code,
        error_message,
        read_only,
        request_parameters,
        response_elements,
        additional_event_data,
        resources,
        invoked_by,
        vpc_endpoint_id,
    } = c;
    out.extend_from_slice(b"{\"account\":");
    string(account, out);
    out.extend_from_slice(b",\"region\":");
    string(region, out);
    out.extend_from_slice(b",\"service\":");
    string(service, out);
    out.extend_from_slice(b",\"action\":");
    string(action, out);
    out.extend_from_slice(b",\"event_type\":");
    string(event_type, out);
    out.extend_from_slice(b",\"actor\":");
    actor(who, out);
    skip_none(b",\"access_key_id\":", access_key_id.as_deref(), out);
    skip_none(b",\"source_ip\":", source_ip.as_deref(), out);
    skip_none(b",\"user_agent\":", user_agent.as_deref(), out);
    skip_none(b",\"error_code\":", error_code.as_deref(), out);
    skip_none(b",\"error_message\":", error_message.as_deref(), out);
    if let Some(r) = read_only {
        out.extend_from_slice(b",\"read_only\":");
        boolean(*r, out);
    }
    raw(
        b",\"request_parameters\":",
        request_parameters.as_ref(),
        out,
    );
    raw(b",\"response_elements\":", response_elements.as_ref(), out);
    raw(
        b",\"additional_event_data\":",
        additional_event_data.as_ref(),
        out,
    );
    if !resources.is_empty() {
        out.extend_from_slice(b",\"resources\":[");
        for (i, r) in resources.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            resource(r, out);
        }
        out.push(b']');
    }
    skip_none(b",\"invoked_by\":", invoked_by.as_deref(), out);
    skip_none(b",\"vpc_endpoint_id\":", vpc_endpoint_id.as_deref(), out);
    out.push(b'}');
}

fn resource(r: &ResourceRef, out: &mut Vec<u8>) {
    let ResourceRef { id, kind, account } = r;
    out.extend_from_slice(b"{\"id\":");
    string(id, out);
    skip_none(b",\"type\":", kind.as_deref(), out);
    skip_none(b",\"account\":", account.as_deref(), out);
    out.push(b'}');
}

/// Internally tagged (`"type"` first), `Option`s written as `null`.
fn actor(a: &Actor, out: &mut Vec<u8>) {
    match a {
        Actor::Root { account, arn } => {
            out.extend_from_slice(b"{\"type\":\"root\",\"account\":");
            string(account, out);
            out.extend_from_slice(b",\"arn\":");
            string(arn, out);
        }
        Actor::IamUser { account, arn, name } => {
            out.extend_from_slice(b"{\"type\":\"iam_user\",\"account\":");
            string(account, out);
            out.extend_from_slice(b",\"arn\":");
            string(arn, out);
            out.extend_from_slice(b",\"name\":");
            string(name, out);
        }
        Actor::AssumedRole {
            account,
            session_arn,
            role_arn,
            role_name,
            session_name,
            mfa,
            source_identity,
        } => {
            out.extend_from_slice(b"{\"type\":\"assumed_role\",\"account\":");
            string(account, out);
            out.extend_from_slice(b",\"session_arn\":");
            string(session_arn, out);
            out.extend_from_slice(b",\"role_arn\":");
            string(role_arn, out);
            out.extend_from_slice(b",\"role_name\":");
            string(role_name, out);
            out.extend_from_slice(b",\"session_name\":");
            string(session_name, out);
            out.extend_from_slice(b",\"mfa\":");
            boolean(*mfa, out);
            out.extend_from_slice(b",\"source_identity\":");
            nullable(source_identity.as_deref(), out);
        }
        Actor::FederatedUser {
            account,
            arn,
            issuer,
        } => {
            out.extend_from_slice(b"{\"type\":\"federated_user\",\"account\":");
            string(account, out);
            out.extend_from_slice(b",\"arn\":");
            string(arn, out);
            out.extend_from_slice(b",\"issuer\":");
            nullable(issuer.as_deref(), out);
        }
        Actor::FederatedIdentity { provider, user } => {
            out.extend_from_slice(b"{\"type\":\"federated_identity\",\"provider\":");
            string(provider, out);
            out.extend_from_slice(b",\"user\":");
            string(user, out);
        }
        Actor::AwsService { service } => {
            out.extend_from_slice(b"{\"type\":\"aws_service\",\"service\":");
            string(service, out);
        }
        Actor::AwsAccount {
            account,
            principal_id,
        } => {
            out.extend_from_slice(b"{\"type\":\"aws_account\",\"account\":");
            string(account, out);
            out.extend_from_slice(b",\"principal_id\":");
            nullable(principal_id.as_deref(), out);
        }
        Actor::Unknown { raw_type } => {
            out.extend_from_slice(b"{\"type\":\"unknown\",\"raw_type\":");
            nullable(raw_type.as_deref(), out);
        }
    }
    out.push(b'}');
}

/// A field left out when `None` (`skip_serializing_if = "Option::is_none"`).
#[inline]
fn skip_none(key: &[u8], value: Option<&str>, out: &mut Vec<u8>) {
    if let Some(v) = value {
        out.extend_from_slice(key);
        string(v, out);
    }
}

/// A raw JSON field left out when `None`; its text as it is.
#[inline]
fn raw(key: &[u8], value: Option<&RawJson>, out: &mut Vec<u8>) {
    if let Some(v) = value {
        out.extend_from_slice(key);
        out.extend_from_slice(v.as_str().as_bytes());
    }
}

#[inline]
fn nullable(value: Option<&str>, out: &mut Vec<u8>) {
    match value {
        Some(v) => string(v, out),
        None => out.extend_from_slice(b"null"),
    }
}

#[inline]
fn boolean(v: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(if v { b"true" } else { b"false" });
}

/// A JSON string as serde_json writes it: `"` and `\` escaped, the control characters with a
/// short escape where JSON has one (`\b \f \n \r \t`), the others as `\u00xx` (lower-case hex);
/// everything else, non-ASCII included, as it is.
fn string(s: &str, out: &mut Vec<u8>) {
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while let Some(at) = next_special(b, i) {
        out.extend_from_slice(b.get(start..at).unwrap_or_default());
        let c = b.get(at).copied().unwrap_or_default();
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0C => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(c >> 4)]);
                out.push(HEX[usize::from(c & 0xF)]);
            }
        }
        start = at + 1;
        i = at + 1;
    }
    out.extend_from_slice(b.get(start..).unwrap_or_default());
    out.push(b'"');
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The first byte at or after `from` that a JSON string must escape. Eight bytes at a time
/// (most strings need nothing escaped, so this is the whole cost of copying them).
#[inline]
fn next_special(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8).and_then(|c| <[u8; 8]>::try_from(c).ok()) {
        let hit = special_bytes(u64::from_le_bytes(chunk));
        if hit != 0 {
            return Some(i + (hit.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    // The last few bytes as one more word, padded with a byte that needs no escape: most
    // strings are shorter than a word, so this is where most of them are decided, and a byte
    // at a time cost a third of encoding a body. (Reading the string's last eight bytes
    // instead, overlapping ones already found clean, saved nothing measurable.)
    let rest = b.get(i..)?;
    if rest.is_empty() {
        return None;
    }
    let mut pad = [b'a'; 8];
    pad.get_mut(..rest.len())?.copy_from_slice(rest);
    let hit = special_bytes(u64::from_le_bytes(pad));
    (hit != 0).then(|| i + (hit.trailing_zeros() / 8) as usize)
}

/// The high bit set in each byte of `w` that a JSON string must escape (below 0x20, `"` or
/// `\`). A flag above the lowest true one may be false (borrows), so only the lowest is used.
#[inline]
fn special_bytes(w: u64) -> u64 {
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS;
    below(w, 0x20)
        | below(w ^ (ONES * u64::from(b'"')), 1)
        | below(w ^ (ONES * u64::from(b'\\')), 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use compact_str::CompactString;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = CompactString> {
        prop_oneof![
            "[a-zA-Z0-9:/._-]{0,40}",
            // Every escape serde_json knows, non-ASCII, and runs longer than a word.
            "[\\x00-\\x1f\"\\\\\\x7f a-z\u{e9}\u{2028}\u{1F600}]{0,30}",
            any::<String>(),
        ]
        .prop_map(CompactString::from)
    }

    fn opt() -> impl Strategy<Value = Option<CompactString>> {
        proptest::option::of(text())
    }

    fn actor() -> impl Strategy<Value = Actor> {
        prop_oneof![
            (text(), text()).prop_map(|(account, arn)| Actor::Root { account, arn }),
            (text(), text(), text()).prop_map(|(account, arn, name)| Actor::IamUser {
                account,
                arn,
                name
            }),
            (
                (text(), text(), text()),
                (text(), text(), any::<bool>(), opt())
            )
                .prop_map(
                    |(
                        (account, session_arn, role_arn),
                        (role_name, session_name, mfa, source_identity),
                    )| Actor::AssumedRole {
                        account,
                        session_arn,
                        role_arn,
                        role_name,
                        session_name,
                        mfa,
                        source_identity,
                    }
                ),
            (text(), text(), opt()).prop_map(|(account, arn, issuer)| Actor::FederatedUser {
                account,
                arn,
                issuer
            }),
            (text(), text())
                .prop_map(|(provider, user)| Actor::FederatedIdentity { provider, user }),
            text().prop_map(|service| Actor::AwsService { service }),
            (text(), opt()).prop_map(|(account, principal_id)| Actor::AwsAccount {
                account,
                principal_id
            }),
            opt().prop_map(|raw_type| Actor::Unknown { raw_type }),
        ]
    }

    fn raw() -> impl Strategy<Value = Option<RawJson>> {
        proptest::option::of(
            prop_oneof![
                Just("null".to_string()),
                Just(r#"{"bucketName":"b","key":"a\"b\\u0001"}"#.to_string()),
                Just(r#"[1, 2.5e3, true, {"x": [ ]}]"#.to_string()),
                text().prop_map(|t| serde_json::Value::String(t.to_string()).to_string()),
            ]
            .prop_map(|t| RawJson::parse(t).unwrap()),
        )
    }

    fn cloud_event() -> impl Strategy<Value = CloudEvent> {
        let resource = (text(), opt(), opt()).prop_map(|(id, kind, account)| ResourceRef {
            id,
            kind,
            account,
        });
        (
            (text(), text(), text(), text(), text(), actor()),
            (opt(), opt(), opt(), opt(), opt(), any::<Option<bool>>()),
            (raw(), raw(), raw()),
            (proptest::collection::vec(resource, 0..3), opt(), opt()),
        )
            .prop_map(
                |(
                    (account, region, service, action, event_type, actor),
                    (access_key_id, source_ip, user_agent, error_code, error_message, read_only),
                    (request_parameters, response_elements, additional_event_data),
                    (resources, invoked_by, vpc_endpoint_id),
                )| CloudEvent {
                    account,
                    region,
                    service,
                    action,
                    event_type,
                    actor: actor.into(),
                    access_key_id,
                    source_ip,
                    user_agent,
                    error_code,
                    error_message,
                    read_only,
                    request_parameters,
                    response_elements,
                    additional_event_data,
                    resources: resources.into(),
                    invoked_by,
                    vpc_endpoint_id,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Byte for byte what serde_json writes through the derived `Serialize`.
        #[test]
        fn cloud_bodies_are_what_serde_json_writes(event in cloud_event()) {
            let body = EventBody::Cloud(event);
            let mut ours = Vec::new();
            write_body_json(&body, &mut ours).unwrap();
            let theirs = serde_json::to_vec(&body).unwrap();
            prop_assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&theirs));
        }

        #[test]
        fn strings_are_escaped_as_serde_json_does(s in any::<String>()) {
            let mut ours = Vec::new();
            string(&s, &mut ours);
            prop_assert_eq!(ours, serde_json::to_vec(&s).unwrap());
        }
    }

    #[test]
    fn every_control_character_and_specials_at_every_offset() {
        for c in (0u8..0x20).chain([b'"', b'\\', 0x7f]) {
            for at in 0..40 {
                let mut s = "x".repeat(at);
                s.push(char::from(c));
                s.push_str("tail");
                let mut ours = Vec::new();
                string(&s, &mut ours);
                assert_eq!(ours, serde_json::to_vec(&s).unwrap(), "{c:#x} at {at}");
            }
        }
    }

    #[test]
    fn two_specials_at_every_pair_of_offsets() {
        // Escapes one after another: each search for the next starts just past the last.
        for len in 1..=24 {
            for a in 0..len {
                for b in a..len {
                    for (x, y) in [(b'"', b'\\'), (b'\n', 0x01), (b'\\', b'\\')] {
                        let mut bytes = vec![b'x'; len];
                        bytes[a] = x;
                        bytes[b] = y;
                        let s = String::from_utf8(bytes).unwrap();
                        let mut ours = Vec::new();
                        string(&s, &mut ours);
                        assert_eq!(ours, serde_json::to_vec(&s).unwrap(), "{s:?}");
                    }
                }
            }
        }
    }
}
