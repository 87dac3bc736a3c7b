//! A CloudTrail record read straight into [`RawRecord`] with the [`Cursor`]: the fast path's
//! reader. It yields exactly what the general path's serde reading yields, or [`Bail`]s on
//! anything it does not handle the same way (a duplicate key, a number or object where a string
//! belongs, an escaped key, invalid JSON), and the caller takes the general path. The
//! equivalence is tested over generated and damaged records (`tests/props.rs`).

use crate::depth::MAX_KEPT_DEPTH;
use crate::memo::{self, IdentityNote, ResourcesNote};
use crate::raw::{
    Kept, RawAttributes, RawIdentity, RawIssuer, RawOnBehalfOf, RawRecord, RawResource,
    RawSessionContext,
};
use crate::scan::{Bail, Cursor, Scan};
use crate::text::{Flag, Lenient, Text};
use std::borrow::Cow;

/// Notes the field numbered `bit` as read; a second time bails (serde's derived readers reject
/// duplicate fields, and the record reader keeps the last: either way, the general path's
/// business).
#[inline(always)]
fn once(seen: &mut u32, bit: u32) -> Scan<()> {
    let flag = 1u32 << bit;
    if *seen & flag != 0 {
        return Err(Bail);
    }
    *seen |= flag;
    Ok(())
}

/// A string field: a string, or `null` for none.
#[inline(always)]
fn text<'a>(c: &mut Cursor<'a>) -> Scan<Option<Text<'a>>> {
    if c.null()? {
        return Ok(None);
    }
    c.string().map(|s| Some(Text(s)))
}

/// A flag: `true`/`false`, a string (`"true"`, `"False"`), or `null`.
fn flag(c: &mut Cursor<'_>) -> Scan<Option<Flag>> {
    if c.null()? {
        return Ok(None);
    }
    match c.peek() {
        Some(b'"') => {
            let s = c.string()?;
            Ok(Some(Flag(if s.eq_ignore_ascii_case("true") {
                Some(true)
            } else if s.eq_ignore_ascii_case("false") {
                Some(false)
            } else {
                None
            })))
        }
        _ => c.boolean().map(|b| Some(Flag(Some(b)))),
    }
}

/// A value kept verbatim; `null` is none.
#[inline]
fn kept<'a>(c: &mut Cursor<'a>) -> Scan<Option<Kept<'a>>> {
    if c.null()? {
        return Ok(None);
    }
    let (text, depth) = c.skip_value()?;
    Ok(Some(Kept {
        text: Cow::Borrowed(text),
        shallow: depth <= MAX_KEPT_DEPTH,
    }))
}

/// An object field whose members `member` reads (each called with the cursor on its value);
/// `null` is none; anything else bails.
fn object<'a, T: Default>(
    c: &mut Cursor<'a>,
    member: impl FnMut(&mut Cursor<'a>, &mut T, &'a str, &mut u32) -> Scan<()>,
) -> Scan<Option<T>> {
    if c.null()? {
        return Ok(None);
    }
    let mut v = T::default();
    object_into(c, &mut v, member)?;
    Ok(Some(v))
}

/// The object at the cursor read into `v` in place (a record is large: moving it cost more
/// than reading some of its fields).
#[inline]
fn object_into<'a, T>(
    c: &mut Cursor<'a>,
    v: &mut T,
    mut member: impl FnMut(&mut Cursor<'a>, &mut T, &'a str, &mut u32) -> Scan<()>,
) -> Scan<()> {
    c.eat(b'{')?;
    if c.empty(b'}') {
        return Ok(());
    }
    let mut seen = 0u32;
    loop {
        let key = c.key()?;
        member(c, v, key, &mut seen)?;
        if !c.more(b'}')? {
            return Ok(());
        }
    }
}

/// What `recall` knew of the value at the cursor (after whitespace), the cursor then past it;
/// `None` with the cursor at the value when it knew nothing ([`crate::memo`]).
#[inline]
fn recalled<T>(c: &mut Cursor<'_>, recall: impl FnOnce(&[u8]) -> Option<(usize, T)>) -> Option<T> {
    c.ws();
    let start = c.pos();
    let (len, known) = recall(c.rest())?;
    c.set_pos(start + len);
    Some(known)
}

/// Skips the value of a key nobody reads.
#[inline]
fn ignore(c: &mut Cursor<'_>) -> Scan<()> {
    c.skip()
}

/// `userIdentity` into its place in the record.
fn identity<'a>(c: &mut Cursor<'a>, slot: &mut Option<RawIdentity<'a>>) -> Scan<()> {
    if c.null()? {
        *slot = None;
        return Ok(());
    }
    let i = slot.insert(RawIdentity::default());
    object_into(c, i, |c, i: &mut RawIdentity<'a>, key, seen| match key {
        "type" => {
            once(seen, 0)?;
            i.kind = text(c)?;
            Ok(())
        }
        "arn" => {
            once(seen, 1)?;
            i.arn = text(c)?;
            Ok(())
        }
        "accountId" => {
            once(seen, 2)?;
            i.account_id = text(c)?;
            Ok(())
        }
        "principalId" => {
            once(seen, 3)?;
            i.principal_id = text(c)?;
            Ok(())
        }
        "userName" => {
            once(seen, 4)?;
            i.user_name = text(c)?;
            Ok(())
        }
        "accessKeyId" => {
            once(seen, 5)?;
            i.access_key_id = text(c)?;
            Ok(())
        }
        "invokedBy" => {
            once(seen, 6)?;
            i.invoked_by = text(c)?;
            Ok(())
        }
        "identityProvider" => {
            once(seen, 7)?;
            i.identity_provider = text(c)?;
            Ok(())
        }
        "sessionContext" => {
            once(seen, 8)?;
            i.session_context = session(c)?;
            Ok(())
        }
        "onBehalfOf" => {
            once(seen, 9)?;
            i.on_behalf_of = on_behalf_of(c)?;
            Ok(())
        }
        _ => ignore(c),
    })
}

fn session<'a>(c: &mut Cursor<'a>) -> Scan<Option<RawSessionContext<'a>>> {
    object(c, |c, s: &mut RawSessionContext<'a>, key, seen| match key {
        "sessionIssuer" => {
            once(seen, 0)?;
            s.session_issuer = issuer(c)?;
            Ok(())
        }
        "attributes" => {
            once(seen, 1)?;
            s.attributes = attributes(c)?;
            Ok(())
        }
        "sourceIdentity" => {
            once(seen, 2)?;
            s.source_identity = text(c)?;
            Ok(())
        }
        _ => ignore(c),
    })
}

fn issuer<'a>(c: &mut Cursor<'a>) -> Scan<Option<RawIssuer<'a>>> {
    object(c, |c, s: &mut RawIssuer<'a>, key, seen| match key {
        "arn" => {
            once(seen, 0)?;
            s.arn = text(c)?;
            Ok(())
        }
        "userName" => {
            once(seen, 1)?;
            s.user_name = text(c)?;
            Ok(())
        }
        _ => ignore(c),
    })
}

fn attributes(c: &mut Cursor<'_>) -> Scan<Option<RawAttributes>> {
    object(c, |c, a: &mut RawAttributes, key, seen| match key {
        "mfaAuthenticated" => {
            once(seen, 0)?;
            a.mfa_authenticated = flag(c)?;
            Ok(())
        }
        _ => ignore(c),
    })
}

fn on_behalf_of<'a>(c: &mut Cursor<'a>) -> Scan<Option<RawOnBehalfOf<'a>>> {
    object(c, |c, o: &mut RawOnBehalfOf<'a>, key, seen| match key {
        "userId" => {
            once(seen, 0)?;
            o.user_id = text(c)?;
            Ok(())
        }
        "identityStoreArn" => {
            once(seen, 1)?;
            o.identity_store_arn = text(c)?;
            Ok(())
        }
        _ => ignore(c),
    })
}

fn resource<'a>(c: &mut Cursor<'a>) -> Scan<Option<RawResource<'a>>> {
    object(c, |c, r: &mut RawResource<'a>, key, seen| match key {
        // `arn` is an alias of `ARN`: both in one object is a duplicate.
        "ARN" | "arn" => {
            once(seen, 0)?;
            r.arn = text(c)?;
            Ok(())
        }
        "type" => {
            once(seen, 1)?;
            r.kind = text(c)?;
            Ok(())
        }
        "accountId" => {
            once(seen, 2)?;
            r.account_id = text(c)?;
            Ok(())
        }
        _ => ignore(c),
    })
}

/// `resources`: an array whose objects are resources and whose other elements are nothing.
fn resources<'a>(c: &mut Cursor<'a>) -> Scan<Option<Vec<Lenient<RawResource<'a>>>>> {
    if c.null()? {
        return Ok(None);
    }
    c.eat(b'[')?;
    if c.empty(b']') {
        return Ok(Some(Vec::new()));
    }
    // Most records name one resource. The first push of an empty vector would make room for
    // four, and the model's list keeps that allocation (collected in place): a few hundred
    // bytes of every event that were never used.
    let mut out = Vec::with_capacity(1);
    loop {
        c.ws();
        if c.peek() == Some(b'{') {
            out.push(Lenient(resource(c)?));
        } else {
            ignore(c)?;
            out.push(Lenient(None));
        }
        if !c.more(b']')? {
            return Ok(Some(out));
        }
    }
}

/// The record (or envelope) object at the cursor, into `r` (a fresh one).
pub fn record<'a>(c: &mut Cursor<'a>, r: &mut RawRecord<'a>) -> Scan<()> {
    c.ws();
    if c.peek() != Some(b'{') {
        return Err(Bail);
    }
    object_into(c, r, |c, r: &mut RawRecord<'a>, key, seen| match key {
        "eventTime" => {
            once(seen, 0)?;
            r.event_time = text(c)?;
            Ok(())
        }
        "eventSource" => {
            once(seen, 1)?;
            r.event_source = text(c)?;
            Ok(())
        }
        "eventName" => {
            once(seen, 2)?;
            r.event_name = text(c)?;
            Ok(())
        }
        "eventType" => {
            once(seen, 3)?;
            r.event_type = text(c)?;
            Ok(())
        }
        "eventID" => {
            once(seen, 4)?;
            r.event_id = text(c)?;
            Ok(())
        }
        "awsRegion" => {
            once(seen, 5)?;
            r.aws_region = text(c)?;
            Ok(())
        }
        "sourceIPAddress" => {
            once(seen, 6)?;
            r.source_ip = text(c)?;
            Ok(())
        }
        "userAgent" => {
            once(seen, 7)?;
            r.user_agent = text(c)?;
            Ok(())
        }
        "errorCode" => {
            once(seen, 8)?;
            r.error_code = text(c)?;
            Ok(())
        }
        "errorMessage" => {
            once(seen, 9)?;
            r.error_message = text(c)?;
            Ok(())
        }
        "recipientAccountId" => {
            once(seen, 10)?;
            r.recipient_account = text(c)?;
            Ok(())
        }
        "vpcEndpointId" => {
            once(seen, 11)?;
            r.vpc_endpoint_id = text(c)?;
            Ok(())
        }
        "readOnly" => {
            once(seen, 12)?;
            r.read_only = flag(c)?;
            Ok(())
        }
        "userIdentity" => {
            once(seen, 13)?;
            if let Some(known) = recalled(c, memo::recall_identity) {
                r.user_identity = None;
                r.identity_note = IdentityNote::Known(known);
                return Ok(());
            }
            let start = c.pos();
            identity(c, &mut r.user_identity)?;
            r.identity_note = IdentityNote::Read(c.since(start)?);
            Ok(())
        }
        "requestParameters" => {
            once(seen, 14)?;
            r.request_parameters = kept(c)?;
            Ok(())
        }
        "responseElements" => {
            once(seen, 15)?;
            r.response_elements = kept(c)?;
            Ok(())
        }
        "additionalEventData" => {
            once(seen, 16)?;
            r.additional_event_data = kept(c)?;
            Ok(())
        }
        "resources" => {
            once(seen, 17)?;
            if let Some(known) = recalled(c, memo::recall_resources) {
                r.resources = None;
                r.resources_note = ResourcesNote::Known(known);
                return Ok(());
            }
            let start = c.pos();
            r.resources = resources(c)?;
            r.resources_note = ResourcesNote::Read(c.since(start)?);
            Ok(())
        }
        // Read by nobody, but checked like any value (the general path rejects a record whose
        // `tlsDetails` is not JSON): a text checked before is stepped over ([`crate::memo`]).
        "tlsDetails" => {
            if recalled(c, |rest| memo::recall_checked(rest).map(|len| (len, ()))).is_some() {
                return Ok(());
            }
            let start = c.pos();
            ignore(c)?;
            memo::remember_checked(c.since(start)?);
            Ok(())
        }
        "detail" => {
            once(seen, 18)?;
            r.detail = kept(c)?;
            Ok(())
        }
        "detail-type" => {
            once(seen, 19)?;
            r.detail_type = text(c)?;
            Ok(())
        }
        "account" => {
            once(seen, 20)?;
            r.account = text(c)?;
            Ok(())
        }
        "region" => {
            once(seen, 21)?;
            r.region = text(c)?;
            Ok(())
        }
        "time" => {
            once(seen, 22)?;
            r.time = text(c)?;
            Ok(())
        }
        "CloudTrailEvent" => {
            once(seen, 23)?;
            r.cloudtrail_event = text(c)?;
            Ok(())
        }
        _ => ignore(c),
    })
}

/// `text` as exactly one record (JSON lines, an envelope's inner record), into `r`.
pub fn whole_record<'a>(text: &'a str, r: &mut RawRecord<'a>) -> Scan<()> {
    let mut c = Cursor::new(text);
    record(&mut c, r)?;
    if c.at_end() { Ok(()) } else { Err(Bail) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_record() {
        let mut r = RawRecord::default();
        whole_record(
            r#" {"eventTime":"2024-05-01T12:00:00Z","userIdentity":{"type":"AssumedRole","sessionContext":{"attributes":{"mfaAuthenticated":"TRUE"},"sessionIssuer":{"arn":"arn:x"}},"x":[1,{"y":null}]},"readOnly":false,"requestParameters":{"a":[1,2]},"responseElements":null,"resources":[{"ARN":"a1","type":"T"},"junk",null,[1],{"arn":"a2"}],"userAgent":"a\"b"} "#,
            &mut r,
        )
        .unwrap();
        assert_eq!(r.event_time.unwrap().as_str(), "2024-05-01T12:00:00Z");
        let id = r.user_identity.unwrap();
        assert_eq!(id.kind.unwrap().as_str(), "AssumedRole");
        let s = id.session_context.unwrap();
        assert_eq!(
            s.attributes.unwrap().mfa_authenticated,
            Some(Flag(Some(true)))
        );
        assert_eq!(s.session_issuer.unwrap().arn.unwrap().as_str(), "arn:x");
        assert_eq!(r.read_only, Some(Flag(Some(false))));
        assert_eq!(r.request_parameters.unwrap().as_str(), r#"{"a":[1,2]}"#);
        assert!(r.response_elements.is_none());
        let res = r.resources.unwrap();
        let arns: Vec<_> = res
            .iter()
            .map(|l| l.0.as_ref().and_then(|r| r.arn.as_ref()).map(Text::as_str))
            .collect();
        assert_eq!(arns, [Some("a1"), None, None, None, Some("a2")]);
        assert_eq!(r.user_agent.unwrap().as_str(), "a\"b");
    }

    #[test]
    fn bails_where_the_general_path_decides() {
        for bad in [
            r#"{"eventName":"A","eventName":"B"}"#,
            r#"{"eventName":12}"#,
            r#"{"userIdentity":"x"}"#,
            r#"{"resources":{"ARN":"a"}}"#,
            r#"{"resources":[{"ARN":"a","arn":"b"}]}"#,
            r#"{"event\u004eame":"A"}"#,
            r#"{"eventName":"A"} x"#,
            r#"{"eventName":"A",}"#,
            r#"[{"eventName":"A"}]"#,
        ] {
            assert!(
                whole_record(bad, &mut RawRecord::default()).is_err(),
                "{bad}"
            );
        }
        assert!(whole_record("{}", &mut RawRecord::default()).is_ok());
    }
}
