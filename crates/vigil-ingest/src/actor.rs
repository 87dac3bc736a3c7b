//! `userIdentity` → [`Actor`].

use crate::raw::RawIdentity;
use crate::text::Text;
use vigil_model::{Actor, CompactString};

fn s<'t>(t: &'t Option<Text<'_>>) -> Option<&'t str> {
    t.as_ref().map(Text::as_str).filter(|v| !v.is_empty())
}

fn owned(t: &Option<Text<'_>>) -> CompactString {
    s(t).unwrap_or_default().into()
}

/// The last `/`-separated part of an ARN's resource (`user/path/alice` → `alice`).
fn arn_tail(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The parts of an assumed-role session ARN.
struct SessionArn<'a> {
    partition: &'a str,
    account: &'a str,
    role: &'a str,
    session: &'a str,
}

impl SessionArn<'_> {
    /// The ARN of the role the session is of.
    fn role_arn(&self) -> CompactString {
        compact_str::format_compact!(
            "arn:{}:iam::{}:role/{}",
            self.partition,
            self.account,
            self.role
        )
    }
}

/// `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION` → its parts. Called for every role session's
/// event, so it allocates nothing and finds the separators with byte searches (`memchr`);
/// `str::splitn(6, ':')` and `split_once('/')` cost it four times as many instructions.
/// (A property test holds it to that plain statement.)
fn split_session_arn(arn: &str) -> Option<SessionArn<'_>> {
    let mut colons = memchr::memchr_iter(b':', arn.as_bytes());
    let c = [
        colons.next()?,
        colons.next()?,
        colons.next()?,
        colons.next()?,
        colons.next()?,
    ];
    // ':' is ASCII, so every cut is on a character boundary.
    let part = |from: usize, to: usize| arn.get(from..to);
    if part(0, c[0])? != "arn" || part(c[1] + 1, c[2])? != "sts" {
        return None;
    }
    let partition = part(c[0] + 1, c[1])?;
    let account = part(c[3] + 1, c[4])?;
    let resource = arn.get(c[4] + 1..)?.strip_prefix("assumed-role/")?;
    let slash = memchr::memchr(b'/', resource.as_bytes())?;
    Some(SessionArn {
        partition,
        account,
        role: resource.get(..slash)?,
        session: resource.get(slash + 1..)?,
    })
}

/// The actor of a record; `account` is the record's account, used when the identity has none.
pub fn actor(identity: Option<&RawIdentity<'_>>, account: &str) -> Actor {
    let Some(id) = identity else {
        return Actor::Unknown { raw_type: None };
    };
    let account = s(&id.account_id).unwrap_or(account).into();
    let arn = owned(&id.arn);
    match s(&id.kind) {
        Some("Root") => Actor::Root { account, arn },
        Some("IAMUser") => {
            let name = s(&id.user_name)
                .map(CompactString::from)
                .unwrap_or_else(|| arn_tail(&arn).into());
            Actor::IamUser { account, arn, name }
        }
        Some("AssumedRole") => {
            let ctx = id.session_context.as_ref();
            let issuer = ctx.and_then(|c| c.session_issuer.as_ref());
            let parsed = split_session_arn(&arn);
            let role_arn = issuer
                .and_then(|i| s(&i.arn))
                .map(CompactString::from)
                .or_else(|| parsed.as_ref().map(SessionArn::role_arn))
                .unwrap_or_default();
            let role_name = issuer
                .and_then(|i| s(&i.user_name))
                .or_else(|| parsed.as_ref().map(|p| p.role))
                .unwrap_or_default()
                .into();
            let session_name = parsed
                .as_ref()
                .map(|p| p.session)
                .or_else(|| {
                    s(&id.principal_id)
                        .and_then(|p| p.split_once(':'))
                        .map(|p| p.1)
                })
                .unwrap_or_default()
                .into();
            let mfa = ctx
                .and_then(|c| c.attributes.as_ref())
                .and_then(|a| a.mfa_authenticated)
                .and_then(|f| f.0)
                .unwrap_or(false);
            let source_identity = ctx
                .and_then(|c| s(&c.source_identity))
                .or_else(|| id.on_behalf_of.as_ref().and_then(|o| s(&o.user_id)))
                .map(CompactString::from);
            Actor::AssumedRole {
                account,
                session_arn: arn,
                role_arn,
                role_name,
                session_name,
                mfa,
                source_identity,
            }
        }
        Some("FederatedUser") => {
            let issuer = id
                .session_context
                .as_ref()
                .and_then(|c| c.session_issuer.as_ref())
                .and_then(|i| s(&i.arn))
                .map(CompactString::from);
            Actor::FederatedUser {
                account,
                arn,
                issuer,
            }
        }
        Some(kind @ ("SAMLUser" | "WebIdentityUser" | "IdentityCenterUser")) => {
            let behalf = id.on_behalf_of.as_ref();
            let provider = s(&id.identity_provider)
                .or_else(|| behalf.and_then(|o| s(&o.identity_store_arn)))
                .unwrap_or(kind)
                .into();
            let user = s(&id.user_name)
                .or_else(|| behalf.and_then(|o| s(&o.user_id)))
                .or_else(|| s(&id.principal_id))
                .unwrap_or_default()
                .into();
            Actor::FederatedIdentity { provider, user }
        }
        Some("AWSService") => Actor::AwsService {
            service: owned(&id.invoked_by),
        },
        Some("AWSAccount") => Actor::AwsAccount {
            account,
            principal_id: s(&id.principal_id).map(CompactString::from),
        },
        other => Actor::Unknown {
            raw_type: other.map(CompactString::from),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_arn_splits() {
        let p = split_session_arn("arn:aws:sts::111122223333:assumed-role/Admin/alice/x").unwrap();
        assert_eq!(p.role_arn(), "arn:aws:iam::111122223333:role/Admin");
        assert_eq!((p.role, p.session), ("Admin", "alice/x"));
        let p = split_session_arn("arn:aws-cn:sts::1:assumed-role/R/s").unwrap();
        assert_eq!(p.role_arn(), "arn:aws-cn:iam::1:role/R");
        assert!(split_session_arn("arn:aws:iam::1:user/x").is_none());
        assert!(split_session_arn("arn:aws:sts::1:assumed-role/NoSession").is_none());
        assert!(split_session_arn("garbage").is_none());
    }

    /// The plain statement the byte searches must agree with.
    fn reference(arn: &str) -> Option<(&str, &str, &str, &str)> {
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("sts"), Some(_), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let (role, session) = resource.strip_prefix("assumed-role/")?.split_once('/')?;
        Some((partition, account, role, session))
    }

    proptest::proptest! {
        #[test]
        fn session_arn_agrees_with_the_plain_split(
            head in proptest::prop_oneof![
                proptest::prelude::Just("arn:aws:sts::"),
                proptest::prelude::Just("arn:aws:sts:"),
                proptest::prelude::Just("arn:é:sts:r:"),
                proptest::prelude::Just("arn::iam::"),
                proptest::prelude::Just(""),
            ],
            tail in "[0-9a:/é-]{0,6}(assumed-role/)?[a:/Ré]{0,8}",
        ) {
            let arn = format!("{head}{tail}");
            let got = split_session_arn(&arn).map(|p| (p.partition, p.account, p.role, p.session));
            proptest::prop_assert_eq!(got, reference(&arn));
        }
    }
}
