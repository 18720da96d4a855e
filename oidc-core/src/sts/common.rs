//! Parsing and validation shared by the STS operations.

use super::types::{PolicyDescriptor, ProvidedContext, Tag};
use crate::aws_query::{Chars, Check, Parsed, QueryBody};
use crate::credentials::{check, Credentials};
use crate::error::{InvalidInput, ParseError, ParseErrorKind};
use crate::secret::{SecretAccessKey, SessionToken};

/// An array of element paths whose first five are `Credentials` (presence)
/// and its four members, followed by `$extra`.
macro_rules! paths_with_credentials {
    ($($extra:expr),* $(,)?) => {
        [
            &["Credentials"],
            &["Credentials", "AccessKeyId"],
            &["Credentials", "SecretAccessKey"],
            &["Credentials", "SessionToken"],
            &["Credentials", "Expiration"],
            $($extra),*
        ]
    };
}
pub(super) use paths_with_credentials;

/// The index of the first path after the credentials.
pub(super) const AFTER_CREDENTIALS: usize = 5;

/// The required `Credentials` of paths `0..5` (see
/// [`paths_with_credentials!`]), for the account `account_id` (12 digits:
/// from [`account_of_arn`]).
///
/// Every member is checked against the model (see
/// [`crate::credentials::check`]): a value outside it is a
/// [`ParseErrorKind::OutOfRange`] naming the member, never quoting it.
pub(super) fn credentials<const N: usize>(
    p: &mut Parsed<'_, N>,
    account_id: Option<String>,
) -> Result<Credentials, ParseError> {
    if !p.present(0) {
        return Err(p.missing(0));
    }
    let access_key_id = checked(p, 1, |v| {
        check::access_key_id(v, check::STS_ACCESS_KEY_ID_MIN)
    })?;
    let secret_access_key = SecretAccessKey::new(checked(p, 2, check::secret_access_key)?);
    let session_token = SessionToken::new(checked(p, 3, check::session_token)?);
    let expires_at = p.required_timestamp(4)?;
    check::expiry(expires_at).map_err(|detail| out_of_range(p, 4, detail))?;
    let mut credentials = Credentials::new(access_key_id, secret_access_key)
        .with_session_token(session_token)
        .with_expiry(expires_at);
    credentials.account_id = account_id;
    Ok(credentials)
}

/// A [`ParseErrorKind::OutOfRange`] at element `i`, naming it.
pub(super) fn out_of_range<const N: usize>(
    p: &Parsed<'_, N>,
    i: usize,
    detail: &'static str,
) -> ParseError {
    let mut error = p.missing(i);
    if let ParseErrorKind::MissingMember { member } = error.kind {
        error.kind = ParseErrorKind::OutOfRange { member, detail };
    }
    error
}

/// The text of required element `i`, which must pass `check`.
fn checked<const N: usize>(
    p: &mut Parsed<'_, N>,
    i: usize,
    check: impl Fn(&str) -> Result<(), &'static str>,
) -> Result<String, ParseError> {
    if let Some(text) = p.text(i) {
        check(text).map_err(|detail| out_of_range(p, i, detail))?;
    }
    p.required(i)
}

/// The text of optional element `i`, which must pass `check` when present.
pub(super) fn optional_checked<const N: usize>(
    p: &mut Parsed<'_, N>,
    i: usize,
    check: impl Fn(&str) -> Result<(), &'static str>,
) -> Result<Option<String>, ParseError> {
    if let Some(text) = p.text(i) {
        check(text).map_err(|detail| out_of_range(p, i, detail))?;
    }
    Ok(p.optional(i))
}

/// An optional `SourceIdentity` (`sourceIdentityType`) at element `i`.
pub(super) fn source_identity<const N: usize>(
    p: &mut Parsed<'_, N>,
    i: usize,
) -> Result<Option<String>, ParseError> {
    optional_checked(p, i, check::source_identity)
}

/// An optional ARN (`arnType`) at element `i`.
pub(super) fn optional_arn<const N: usize>(
    p: &mut Parsed<'_, N>,
    i: usize,
) -> Result<Option<String>, ParseError> {
    optional_checked(p, i, check::arn)
}

/// An optional principal structure (`AssumedRoleUser`, `FederatedUser`):
/// `at` is the structure's presence path, `at + 1` its id
/// (`assumedRoleIdType` / `federatedIdType`) and `at + 2` its `Arn`
/// (`arnType`), both required and checked.
pub(super) fn pair<const N: usize>(
    p: &mut Parsed<'_, N>,
    at: usize,
) -> Result<Option<(String, String)>, ParseError> {
    if !p.present(at) {
        return Ok(None);
    }
    Ok(Some((
        checked(p, at + 1, check::principal_id)?,
        checked(p, at + 2, check::arn)?,
    )))
}

/// The account id of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:...`),
/// when it is 12 digits.
pub(super) fn account_of_arn(arn: &str) -> Option<String> {
    // `arn:` then three `:`-terminated fields, then the account.
    let rest = arn.strip_prefix("arn:")?.as_bytes();
    let mut start = 0;
    for _ in 0..3 {
        start += rest.get(start..)?.iter().position(|&b| b == b':')? + 1;
    }
    let tail = rest.get(start..)?;
    let end = tail.iter().position(|&b| b == b':').unwrap_or(tail.len());
    let account = tail.get(..end)?;
    (account.len() == 12 && account.iter().all(u8::is_ascii_digit))
        .then(|| String::from_utf8_lossy(account).into_owned())
}

/// `arnType`: 20 to 2048 printable characters.
pub(super) fn arn(check: &Check, member: &'static str, value: &str) -> Result<(), InvalidInput> {
    check.required(member, value, 20, 2048, Chars::Printable)
}

/// `PolicyArns`: each `arn` an `arnType`.
pub(super) fn policy_arns(
    check: &Check,
    value: Option<&[PolicyDescriptor]>,
) -> Result<(), InvalidInput> {
    for (i, p) in value.unwrap_or_default().iter().enumerate() {
        check.string(
            "PolicyArns",
            Some(i + 1),
            &p.arn,
            20,
            2048,
            Chars::Printable,
        )?;
    }
    Ok(())
}

/// `Tags`: at most 50; keys 1 to 128 and values 0 to 256 tag characters.
pub(super) fn tags(check: &Check, value: Option<&[Tag]>) -> Result<(), InvalidInput> {
    check.items("Tags", value, 0, 50)?;
    for (i, t) in value.unwrap_or_default().iter().enumerate() {
        check.string("Tags", Some(i + 1), &t.key, 1, 128, Chars::Tag)?;
        check.string("Tags", Some(i + 1), &t.value, 0, 256, Chars::Tag)?;
    }
    Ok(())
}

/// `ProvidedContexts`: 1 to 5; provider an `arnType`, assertion 4 to 2048
/// characters.
pub(super) fn provided_contexts(
    check: &Check,
    value: Option<&[ProvidedContext]>,
) -> Result<(), InvalidInput> {
    check.items("ProvidedContexts", value, 1, 5)?;
    for (i, c) in value.unwrap_or_default().iter().enumerate() {
        check.string(
            "ProvidedContexts",
            Some(i + 1),
            &c.provider_arn,
            20,
            2048,
            Chars::Printable,
        )?;
        check.string(
            "ProvidedContexts",
            Some(i + 1),
            c.context_assertion.secret(),
            4,
            2048,
            Chars::Any,
        )?;
    }
    Ok(())
}

/// `MinimumSessionTokenSize`: 0 to 4096.
pub(super) fn minimum_session_token_size(
    check: &Check,
    value: Option<u32>,
) -> Result<(), InvalidInput> {
    check.range("MinimumSessionTokenSize", value, 0, 4096)
}

/// Writes `PolicyArns`.
pub(super) fn write_policy_arns(body: &mut QueryBody, value: Option<&[PolicyDescriptor]>) {
    body.opt_structures("PolicyArns", value, |p| [("arn", Some(p.arn.as_str()))]);
}

/// Writes `Tags`.
pub(super) fn write_tags(body: &mut QueryBody, value: Option<&[Tag]>) {
    body.opt_structures("Tags", value, |t| {
        [
            ("Key", Some(t.key.as_str())),
            ("Value", Some(t.value.as_str())),
        ]
    });
}

/// A body capacity for about `text` bytes of member values (encoding may
/// triple some of them).
pub(super) fn capacity(text: usize) -> usize {
    text.saturating_mul(3) / 2 + 128
}

/// The byte length of an optional string.
pub(super) fn len(value: Option<&str>) -> usize {
    value.map_or(0, str::len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_of_arns() {
        assert_eq!(
            account_of_arn("arn:aws:sts::123456789012:assumed-role/r/s").as_deref(),
            Some("123456789012")
        );
        assert_eq!(
            account_of_arn("arn:aws-cn:sts::123456789012:federated-user/n").as_deref(),
            Some("123456789012")
        );
        assert_eq!(account_of_arn("arn:aws:sts::12345:assumed-role/r/s"), None);
        assert_eq!(account_of_arn("nope:aws:sts::123456789012:x"), None);
        assert_eq!(account_of_arn("arn:aws"), None);
        assert_eq!(
            account_of_arn("arn:aws:iam::123456789012").as_deref(),
            Some("123456789012")
        );
        assert_eq!(account_of_arn("arn:aws:iam::1234567890123:x"), None);
        assert_eq!(account_of_arn("arn:aws:iam:"), None);
    }
}
