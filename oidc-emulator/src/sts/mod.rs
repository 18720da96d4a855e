//! AWS STS (API version `2011-06-15`, awsQuery protocol) on `POST /`.
//!
//! The body is a form `Action=<Op>&Version=2011-06-15&...`; answers are
//! `text/xml` `<OpResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
//! <OpResult>..</OpResult><ResponseMetadata><RequestId>..` and errors the
//! `ErrorResponse` envelope (`Type` Sender/Receiver, `Code`, `Message`,
//! `RequestId`). Every operation except AssumeRoleWithSAML and
//! AssumeRoleWithWebIdentity must be SigV4-signed (signing name `sts`, the
//! emulator's region) with credentials the emulator issued or was configured
//! with (see [`crate::sigv4_verify`]).
//!
//! Request handling order: `Action` (missing → `MissingAction`, unknown →
//! `InvalidAction`), `Version` (→ `InvalidAction`), authentication, member
//! constraints (`ValidationError`), then the operation's own checks.

pub(crate) mod credentials;
pub(crate) mod federation;
pub(crate) mod info;
pub(crate) mod params;
pub(crate) mod xml;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::http::{Request, Response};
use crate::sigv4_verify::{self, AuthFailureKind};
use crate::state::{CredentialKind, Ctx, IssuedCredential};
use crate::stats::Op;
use params::Params;
use xml::Xml;

/// The only API version STS serves.
pub(crate) const VERSION: &str = "2011-06-15";

/// The IAM Identity Center context provider for `ProvidedContexts`.
pub(crate) const IDENTITY_CENTER_PROVIDER: &str = "arn:aws:iam::aws:contextProvider/IdentityCenter";

/// The STS operations (all 11 of the model).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StsOperation {
    /// `AssumeRole` (`"assume_role"`).
    AssumeRole,
    /// `AssumeRoleWithSAML` (`"assume_role_with_saml"`), unsigned.
    AssumeRoleWithSaml,
    /// `AssumeRoleWithWebIdentity` (`"assume_role_with_web_identity"`),
    /// unsigned.
    AssumeRoleWithWebIdentity,
    /// `AssumeRoot` (`"assume_root"`).
    AssumeRoot,
    /// `DecodeAuthorizationMessage` (`"decode_authorization_message"`).
    DecodeAuthorizationMessage,
    /// `GetAccessKeyInfo` (`"get_access_key_info"`).
    GetAccessKeyInfo,
    /// `GetCallerIdentity` (`"get_caller_identity"`).
    GetCallerIdentity,
    /// `GetDelegatedAccessToken` (`"get_delegated_access_token"`).
    GetDelegatedAccessToken,
    /// `GetFederationToken` (`"get_federation_token"`).
    GetFederationToken,
    /// `GetSessionToken` (`"get_session_token"`).
    GetSessionToken,
    /// `GetWebIdentityToken` (`"get_web_identity_token"`).
    GetWebIdentityToken,
}

impl StsOperation {
    /// Every operation.
    pub const ALL: [StsOperation; 11] = [
        StsOperation::AssumeRole,
        StsOperation::AssumeRoleWithSaml,
        StsOperation::AssumeRoleWithWebIdentity,
        StsOperation::AssumeRoot,
        StsOperation::DecodeAuthorizationMessage,
        StsOperation::GetAccessKeyInfo,
        StsOperation::GetCallerIdentity,
        StsOperation::GetDelegatedAccessToken,
        StsOperation::GetFederationToken,
        StsOperation::GetSessionToken,
        StsOperation::GetWebIdentityToken,
    ];

    /// The wire `Action` name, e.g. `AssumeRoleWithSAML`.
    pub fn action(self) -> &'static str {
        match self {
            StsOperation::AssumeRole => "AssumeRole",
            StsOperation::AssumeRoleWithSaml => "AssumeRoleWithSAML",
            StsOperation::AssumeRoleWithWebIdentity => "AssumeRoleWithWebIdentity",
            StsOperation::AssumeRoot => "AssumeRoot",
            StsOperation::DecodeAuthorizationMessage => "DecodeAuthorizationMessage",
            StsOperation::GetAccessKeyInfo => "GetAccessKeyInfo",
            StsOperation::GetCallerIdentity => "GetCallerIdentity",
            StsOperation::GetDelegatedAccessToken => "GetDelegatedAccessToken",
            StsOperation::GetFederationToken => "GetFederationToken",
            StsOperation::GetSessionToken => "GetSessionToken",
            StsOperation::GetWebIdentityToken => "GetWebIdentityToken",
        }
    }

    /// The snake_case name used by fault rules and stats, e.g.
    /// `assume_role_with_saml`.
    pub fn snake_name(self) -> &'static str {
        match self {
            StsOperation::AssumeRole => "assume_role",
            StsOperation::AssumeRoleWithSaml => "assume_role_with_saml",
            StsOperation::AssumeRoleWithWebIdentity => "assume_role_with_web_identity",
            StsOperation::AssumeRoot => "assume_root",
            StsOperation::DecodeAuthorizationMessage => "decode_authorization_message",
            StsOperation::GetAccessKeyInfo => "get_access_key_info",
            StsOperation::GetCallerIdentity => "get_caller_identity",
            StsOperation::GetDelegatedAccessToken => "get_delegated_access_token",
            StsOperation::GetFederationToken => "get_federation_token",
            StsOperation::GetSessionToken => "get_session_token",
            StsOperation::GetWebIdentityToken => "get_web_identity_token",
        }
    }

    /// Looks an operation up by its `Action` or snake_case name.
    pub fn from_name(name: &str) -> Option<StsOperation> {
        StsOperation::ALL
            .into_iter()
            .find(|o| o.action() == name || o.snake_name() == name)
    }

    /// Whether requests must be SigV4-signed.
    pub fn is_signed(self) -> bool {
        !matches!(
            self,
            StsOperation::AssumeRoleWithSaml | StsOperation::AssumeRoleWithWebIdentity
        )
    }
}

/// An STS error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StsError {
    pub(crate) status: u16,
    pub(crate) code: String,
    pub(crate) message: String,
}

impl StsError {
    /// Any error.
    pub(crate) fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        StsError {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// `ValidationError` (400).
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        StsError::new(400, "ValidationError", message)
    }

    /// `InvalidParameterValue` (400).
    pub(crate) fn invalid_parameter(message: impl Into<String>) -> Self {
        StsError::new(400, "InvalidParameterValue", message)
    }

    /// `AccessDenied` (403).
    pub(crate) fn access_denied(message: impl Into<String>) -> Self {
        StsError::new(403, "AccessDenied", message)
    }

    fn to_response(&self, request_id: &str) -> Response {
        xml::error(self.status, &self.code, &self.message, request_id)
    }
}

/// An operation's outcome: the members of `<OpResult>`.
pub(crate) type StsResult = Result<Xml, StsError>;

/// Classifies `POST /` by its `Action`.
pub(crate) fn classify(req: &Request) -> Op {
    let p = Params::parse(&req.body);
    Op::Sts(p.get("Action").and_then(StsOperation::from_action))
}

impl StsOperation {
    fn from_action(action: &str) -> Option<StsOperation> {
        StsOperation::ALL.into_iter().find(|o| o.action() == action)
    }
}

/// An XML error response for an injected fault or an internal error.
pub(crate) fn error_response(status: u16, code: &str, message: &str, request_id: &str) -> Response {
    xml::error(status, code, message, request_id)
}

/// Handles `POST /`.
pub(crate) fn handle(
    ctx: &Ctx,
    op: Option<StsOperation>,
    req: &Request,
    request_id: &str,
) -> Response {
    match handle_inner(ctx, op, req) {
        Ok((op, result)) => xml::success(op.action(), request_id, &result),
        Err(e) => e.to_response(request_id),
    }
}

fn handle_inner(
    ctx: &Ctx,
    op: Option<StsOperation>,
    req: &Request,
) -> Result<(StsOperation, Xml), StsError> {
    let p = Params::parse(&req.body);
    let Some(action) = p.get("Action") else {
        return Err(StsError::new(400, "MissingAction", "Missing Action"));
    };
    let version = p.get("Version").unwrap_or("NO_VERSION_SPECIFIED");
    let Some(op) = op.filter(|_| version == VERSION) else {
        return Err(StsError::new(
            400,
            "InvalidAction",
            format!("Could not find operation {action} for version {version}"),
        ));
    };
    let caller = if op.is_signed() {
        Some(authenticate(ctx, req)?)
    } else {
        None
    };
    let caller = caller.as_ref();
    let result = match op {
        StsOperation::AssumeRole => credentials::assume_role(ctx, &p, caller),
        StsOperation::AssumeRoleWithSaml => credentials::assume_role_with_saml(ctx, &p),
        StsOperation::AssumeRoleWithWebIdentity => {
            credentials::assume_role_with_web_identity(ctx, &p)
        }
        StsOperation::AssumeRoot => credentials::assume_root(ctx, &p, caller),
        StsOperation::GetSessionToken => credentials::get_session_token(ctx, &p, caller),
        StsOperation::GetDelegatedAccessToken => credentials::get_delegated_access_token(ctx, &p),
        StsOperation::GetFederationToken => federation::get_federation_token(ctx, &p, caller),
        StsOperation::GetWebIdentityToken => federation::get_web_identity_token(ctx, &p, caller),
        StsOperation::GetCallerIdentity => Ok(info::get_caller_identity(caller)),
        StsOperation::GetAccessKeyInfo => info::get_access_key_info(ctx, &p),
        StsOperation::DecodeAuthorizationMessage => info::decode_authorization_message(&p),
    }?;
    Ok((op, result))
}

/// Verifies the SigV4 signature (signing name `sts`).
fn authenticate(ctx: &Ctx, req: &Request) -> Result<IssuedCredential, StsError> {
    sigv4_verify::verify(ctx, req, "sts").map_err(|f| {
        let (status, code) = f.query_code();
        let message = match f.kind {
            AuthFailureKind::Missing => "Request is missing Authentication Token".to_string(),
            _ => f.message,
        };
        StsError::new(status, code, message)
    })
}

/// Default lifetime of credentials from GetRoleCredentials / AssumeRole.
pub(crate) const ONE_HOUR: i64 = 3600;

/// Prefix of emulator session tokens (the shape of real ones).
const SESSION_TOKEN_PREFIX: &str = "IQoJb3JpZ2luX2VjE";

/// New temporary credentials for `arn` (not stored yet; see [`store`]).
/// The session token is at least `min_token_size` characters long.
pub(crate) fn new_temporary(
    ctx: &Ctx,
    kind: CredentialKind,
    account: &str,
    arn: String,
    user_id: String,
    lifetime_secs: i64,
    min_token_size: Option<i64>,
) -> IssuedCredential {
    let mut token = format!(
        "{SESSION_TOKEN_PREFIX}{}",
        STANDARD.encode(ctx.ids.bytes(255))
    );
    let min = usize::try_from(min_token_size.unwrap_or(0)).unwrap_or(0);
    if token.len() < min {
        while token.len() < min {
            token.push_str(&STANDARD.encode(ctx.ids.bytes(96)));
        }
        token.truncate(min);
    }
    IssuedCredential {
        access_key_id: format!("ASIA{}", ctx.ids.upper_alnum(16)),
        secret_access_key: STANDARD.encode(ctx.ids.bytes(30)),
        session_token: Some(token),
        expires_at_ms: Some(
            ctx.clock
                .epoch_millis()
                .saturating_add(lifetime_secs.saturating_mul(1000)),
        ),
        kind,
        account: account.to_string(),
        arn,
        user_id,
        source_identity: None,
        provided_contexts: Vec::new(),
        tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
        mfa_authenticated: false,
        seq: 0,
    }
}

/// Records issued credentials so SigV4 verification accepts them.
pub(crate) fn store(ctx: &Ctx, mut cred: IssuedCredential) -> IssuedCredential {
    let mut st = ctx.state();
    cred.seq = st.next_seq();
    st.credentials
        .insert(cred.access_key_id.clone(), cred.clone());
    cred
}

/// `SessionTokenUtilization` / `SessionTokenSize`, written when the caller
/// gave `MinimumSessionTokenSize`.
pub(crate) fn token_size_members(x: &mut Xml, cred: &IssuedCredential, min: Option<i64>) {
    let Some(min) = min else {
        return;
    };
    let used = cred.session_token.as_ref().map_or(0, String::len);
    let size = used.max(usize::try_from(min).unwrap_or(0)).max(1);
    x.leaf("SessionTokenUtilization", &(used * 100 / size).to_string());
    x.leaf("SessionTokenSize", &size.to_string());
}

/// A role ARN `arn:<partition>:iam::<account>:role[/path]/<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RoleArn {
    pub(crate) partition: String,
    pub(crate) account: String,
    pub(crate) name: String,
}

impl RoleArn {
    /// Parses a role ARN.
    pub(crate) fn parse(arn: &str) -> Option<RoleArn> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [prefix, partition, service, region, account, resource] = parts[..] else {
            return None;
        };
        let path = resource.strip_prefix("role/")?;
        let name = path.rsplit('/').next().unwrap_or_default();
        let ok = prefix == "arn"
            && !partition.is_empty()
            && service == "iam"
            && region.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && !name.is_empty();
        ok.then(|| RoleArn {
            partition: partition.to_string(),
            account: account.to_string(),
            name: name.to_string(),
        })
    }

    /// The stable `AROA...` unique id of the role.
    pub(crate) fn role_id(&self) -> String {
        format!(
            "AROA{}",
            crate::ids::stable_upper_alnum(&format!("{}:{}", self.account, self.name), 17)
        )
    }

    /// `arn:<p>:sts::<account>:assumed-role/<name>/<session>`.
    pub(crate) fn assumed_role_arn(&self, session: &str) -> String {
        format!(
            "arn:{}:sts::{}:assumed-role/{}/{session}",
            self.partition, self.account, self.name
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names() {
        for op in StsOperation::ALL {
            assert_eq!(StsOperation::from_name(op.action()), Some(op));
            assert_eq!(StsOperation::from_name(op.snake_name()), Some(op));
        }
        assert!(!StsOperation::AssumeRoleWithSaml.is_signed());
        assert!(StsOperation::GetCallerIdentity.is_signed());
    }

    #[test]
    fn role_arns() {
        let r = RoleArn::parse("arn:aws:iam::123456789012:role/path/demo").unwrap();
        assert_eq!(r.name, "demo");
        assert_eq!(
            r.assumed_role_arn("s"),
            "arn:aws:sts::123456789012:assumed-role/demo/s"
        );
        assert_eq!(r.role_id().len(), 21);
        assert!(RoleArn::parse("arn:aws:iam::123456789012:user/demo").is_none());
        assert!(RoleArn::parse("arn:aws:iam::1234:role/demo").is_none());
    }
}
