//! Credentials printed for a shell or a program: the formats of the AWS
//! CLI's `aws configure export-credentials --format`, quoted correctly for
//! their target.
//!
//! | [`ExportFormat`] | name | output |
//! |---|---|---|
//! | [`Process`](ExportFormat::Process) | `process` | the `credential_process` JSON: `Version` 1, `AccessKeyId`, `SecretAccessKey`, `SessionToken`, `Expiration` (RFC 3339 UTC), `AccountId` when known |
//! | [`Env`](ExportFormat::Env) | `env` | POSIX `sh`: `export AWS_ACCESS_KEY_ID='...'` |
//! | [`EnvNoExport`](ExportFormat::EnvNoExport) | `env-no-export` | POSIX `sh`: `AWS_ACCESS_KEY_ID='...'` |
//! | [`PowerShell`](ExportFormat::PowerShell) | `powershell` | `$Env:AWS_ACCESS_KEY_ID = '...'` |
//! | [`WindowsCmd`](ExportFormat::WindowsCmd) | `windows-cmd` | `set AWS_ACCESS_KEY_ID=...` |
//! | [`Fish`](ExportFormat::Fish) | `fish` | `set -gx AWS_ACCESS_KEY_ID '...'` |
//! | [`Json`](ExportFormat::Json) | `json` | one object: `accessKeyId`, `secretAccessKey`, `sessionToken`, `expiration`, `accountId`, `roleName`, `profile`, `region` (`null` when unknown) |
//!
//! The shell formats set `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN` (when there is one) and `AWS_CREDENTIAL_EXPIRATION`
//! (when known), in that order, like the AWS CLI; and `AWS_REGION` and
//! `AWS_DEFAULT_REGION` when a region is given with
//! [`Export::with_region`] (the AWS CLI prints no region: give none to
//! print exactly its variables).
//!
//! Unlike the AWS CLI (which prints values unquoted), every value is quoted
//! for its shell, so evaluating the output sets exactly the value, whatever
//! it contains: `sh` and `fish` single quotes, PowerShell single quotes
//! (every kind of single quote doubled). `cmd.exe` has no quoting that
//! survives every character, so [`ExportFormat::WindowsCmd`] refuses a value
//! with a character `cmd` interprets ([`ExportError::UnsafeForCmd`]) rather
//! than print it. No shell can hold a NUL byte in a variable
//! ([`ExportError::NulInValue`]).
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use oidc_host::export::{Export, ExportFormat};
//! use oidc_host::oidc_core::Credentials;
//!
//! let credentials = Credentials::new("ASIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
//!     .with_session_token("IQoJb3JpZ2luX2VjEXAMPLE")
//!     .with_expiry(SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_070_800));
//!
//! let env = Export::new().render(&credentials, ExportFormat::Env)?;
//! assert_eq!(env, "\
//! export AWS_ACCESS_KEY_ID='ASIAIOSFODNN7EXAMPLE'
//! export AWS_SECRET_ACCESS_KEY='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
//! export AWS_SESSION_TOKEN='IQoJb3JpZ2luX2VjEXAMPLE'
//! export AWS_CREDENTIAL_EXPIRATION='2024-01-01T01:00:00Z'
//! ");
//!
//! let process = Export::new().render(&credentials, "process".parse()?)?;
//! assert_eq!(
//!     process,
//!     r#"{"Version":1,"AccessKeyId":"ASIAIOSFODNN7EXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","SessionToken":"IQoJb3JpZ2luX2VjEXAMPLE","Expiration":"2024-01-01T01:00:00Z"}"#.to_owned() + "\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use oidc_core::Credentials;
use serde_json::Value;

/// `AWS_ACCESS_KEY_ID`.
pub const AWS_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
/// `AWS_SECRET_ACCESS_KEY`.
pub const AWS_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
/// `AWS_SESSION_TOKEN`.
pub const AWS_SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
/// `AWS_CREDENTIAL_EXPIRATION`.
pub const AWS_CREDENTIAL_EXPIRATION: &str = "AWS_CREDENTIAL_EXPIRATION";
/// `AWS_REGION`.
pub const AWS_REGION: &str = "AWS_REGION";
/// `AWS_DEFAULT_REGION`.
pub const AWS_DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";

/// An output format; its [name](ExportFormat::name) is the AWS CLI's
/// `--format` value (plus `fish` and `json`).
///
/// ```
/// use oidc_host::export::ExportFormat;
///
/// for format in ExportFormat::ALL {
///     assert_eq!(format.name().parse::<ExportFormat>(), Ok(format));
/// }
/// assert_eq!("windows-cmd".parse(), Ok(ExportFormat::WindowsCmd));
/// assert!("csh".parse::<ExportFormat>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExportFormat {
    /// `process`: the `credential_process` JSON.
    Process,
    /// `env`: POSIX `sh` `export NAME='value'` lines.
    Env,
    /// `env-no-export`: POSIX `sh` `NAME='value'` lines.
    EnvNoExport,
    /// `powershell`: `$Env:NAME = 'value'` lines.
    PowerShell,
    /// `windows-cmd`: `set NAME=value` lines (values `cmd` would
    /// interpret are refused).
    WindowsCmd,
    /// `fish`: `set -gx NAME 'value'` lines.
    Fish,
    /// `json`: one JSON object with the credentials and where they came
    /// from.
    Json,
}

impl ExportFormat {
    /// Every format, in the order of the table above.
    pub const ALL: [ExportFormat; 7] = [
        ExportFormat::Process,
        ExportFormat::Env,
        ExportFormat::EnvNoExport,
        ExportFormat::PowerShell,
        ExportFormat::WindowsCmd,
        ExportFormat::Fish,
        ExportFormat::Json,
    ];

    /// The format's name (`process`, `env`, `env-no-export`, `powershell`,
    /// `windows-cmd`, `fish`, `json`).
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Process => "process",
            ExportFormat::Env => "env",
            ExportFormat::EnvNoExport => "env-no-export",
            ExportFormat::PowerShell => "powershell",
            ExportFormat::WindowsCmd => "windows-cmd",
            ExportFormat::Fish => "fish",
            ExportFormat::Json => "json",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ExportFormat {
    type Err = UnknownExportFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExportFormat::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or(UnknownExportFormat)
    }
}

/// A name that is not an [`ExportFormat`]'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown credentials format; expected one of process, env, env-no-export, powershell, \
     windows-cmd, fish, json"
)]
#[non_exhaustive]
pub struct UnknownExportFormat;

/// Why credentials cannot be printed in a format. Never contains a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// A value holds a character `cmd.exe` interprets (`%`, `^`, `&`, `|`,
    /// `<`, `>`, `"`, `!`, `(`, `)`) or a control character (a newline...):
    /// `set` cannot carry it safely.
    #[error(
        "cannot print {variable} for cmd.exe: its value has a character cmd interprets \
         (% ^ & | < > \" ! ( ) or a control character); use the powershell format"
    )]
    UnsafeForCmd {
        /// The variable whose value was refused.
        variable: &'static str,
    },
    /// A value holds a NUL character, which no environment variable can.
    #[error("cannot print {variable}: its value has a NUL character")]
    NulInValue {
        /// The variable whose value was refused.
        variable: &'static str,
    },
    /// The expiry is before 1970 or after 9999-12-31T23:59:59Z, where no
    /// SDK can read it.
    #[error("cannot print the expiry: it is outside 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z")]
    UnrepresentableExpiration,
}

/// What to print besides the credentials, and the one entry point,
/// [`Export::render`].
///
/// Holds no secret: `Debug` is safe to log.
///
/// ```
/// use oidc_host::export::{Export, ExportFormat};
/// use oidc_host::oidc_core::Credentials;
///
/// let long_term = Credentials::new("AKIAIOSFODNN7EXAMPLE", "it's/a+secret");
/// let export = Export::new().with_region("eu-west-1");
/// assert_eq!(
///     export.render(&long_term, ExportFormat::Fish)?,
///     "set -gx AWS_ACCESS_KEY_ID 'AKIAIOSFODNN7EXAMPLE'\n\
///      set -gx AWS_SECRET_ACCESS_KEY 'it\\'s/a+secret'\n\
///      set -gx AWS_REGION 'eu-west-1'\n\
///      set -gx AWS_DEFAULT_REGION 'eu-west-1'\n"
/// );
/// assert_eq!(
///     export.render(&long_term, ExportFormat::PowerShell)?,
///     "$Env:AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE'\n\
///      $Env:AWS_SECRET_ACCESS_KEY = 'it''s/a+secret'\n\
///      $Env:AWS_REGION = 'eu-west-1'\n\
///      $Env:AWS_DEFAULT_REGION = 'eu-west-1'\n"
/// );
/// assert_eq!(
///     export.render(&long_term, ExportFormat::WindowsCmd)?,
///     "set AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n\
///      set AWS_SECRET_ACCESS_KEY=it's/a+secret\n\
///      set AWS_REGION=eu-west-1\n\
///      set AWS_DEFAULT_REGION=eu-west-1\n"
/// );
/// # Ok::<(), oidc_host::export::ExportError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Export<'a> {
    region: Option<&'a str>,
    account_id: Option<&'a str>,
    role_name: Option<&'a str>,
    profile: Option<&'a str>,
}

impl<'a> Export<'a> {
    /// The credentials only.
    pub fn new() -> Export<'a> {
        Export::default()
    }

    /// Also sets `AWS_REGION` and `AWS_DEFAULT_REGION` (shell formats) and
    /// `region` (`json`).
    #[must_use]
    pub fn with_region(mut self, region: &'a str) -> Export<'a> {
        self.region = Some(region);
        self
    }

    /// The account id to print when the credentials do not carry one
    /// (`AccountId` of `process`, `accountId` of `json`).
    #[must_use]
    pub fn with_account_id(mut self, account_id: &'a str) -> Export<'a> {
        self.account_id = Some(account_id);
        self
    }

    /// The role the credentials are for (`roleName` of `json`).
    #[must_use]
    pub fn with_role_name(mut self, role_name: &'a str) -> Export<'a> {
        self.role_name = Some(role_name);
        self
    }

    /// The profile the credentials are for (`profile` of `json`).
    #[must_use]
    pub fn with_profile(mut self, profile: &'a str) -> Export<'a> {
        self.profile = Some(profile);
        self
    }

    /// The environment of a child process that runs with `credentials`
    /// (`oidc-cli exec`): each variable to set, or to remove (`None`).
    ///
    /// Set: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN` and `AWS_CREDENTIAL_EXPIRATION` when known, the
    /// region (`AWS_REGION`, `AWS_DEFAULT_REGION`) when given. Removed: what
    /// would make the child's SDK look elsewhere or mix credentials
    /// (`AWS_PROFILE`, `AWS_DEFAULT_PROFILE`, a session token or expiry
    /// these credentials lack, the legacy `AWS_SECURITY_TOKEN`, container
    /// credentials). With `credentials` `None` (a credential server serves
    /// them), every key variable is removed.
    ///
    /// # Errors
    ///
    /// [`ExportError::UnrepresentableExpiration`] for an expiry outside
    /// 1970 to 9999; [`ExportError::NulInValue`] for a value with a NUL.
    ///
    /// ```
    /// use oidc_host::export::Export;
    /// use oidc_host::oidc_core::Credentials;
    ///
    /// let env = Export::new()
    ///     .with_region("eu-west-1")
    ///     .environment(Some(&Credentials::new("AKIDEXAMPLE", "secret")))?;
    /// assert!(env.contains(&("AWS_ACCESS_KEY_ID", Some("AKIDEXAMPLE".to_owned()))));
    /// assert!(env.contains(&("AWS_SESSION_TOKEN", None)));
    /// assert!(env.contains(&("AWS_REGION", Some("eu-west-1".to_owned()))));
    /// assert!(env.contains(&("AWS_PROFILE", None)));
    /// # Ok::<(), oidc_host::export::ExportError>(())
    /// ```
    pub fn environment(
        &self,
        credentials: Option<&Credentials>,
    ) -> Result<Vec<(&'static str, Option<String>)>, ExportError> {
        let mut env: Vec<(&'static str, Option<String>)> = Vec::with_capacity(14);
        let checked = |name: &'static str, value: &str| {
            if value.contains('\0') {
                Err(ExportError::NulInValue { variable: name })
            } else {
                Ok(Some(value.to_owned()))
            }
        };
        match credentials {
            Some(c) => {
                env.push((
                    AWS_ACCESS_KEY_ID,
                    checked(AWS_ACCESS_KEY_ID, &c.access_key_id)?,
                ));
                env.push((
                    AWS_SECRET_ACCESS_KEY,
                    checked(AWS_SECRET_ACCESS_KEY, c.secret_access_key.secret())?,
                ));
                let token = match &c.session_token {
                    Some(t) => checked(AWS_SESSION_TOKEN, t.secret())?,
                    None => None,
                };
                env.push((AWS_SESSION_TOKEN, token));
                env.push((
                    AWS_CREDENTIAL_EXPIRATION,
                    c.expires_at.map(rfc3339).transpose()?,
                ));
            }
            None => {
                for name in [
                    AWS_ACCESS_KEY_ID,
                    AWS_SECRET_ACCESS_KEY,
                    AWS_SESSION_TOKEN,
                    AWS_CREDENTIAL_EXPIRATION,
                ] {
                    env.push((name, None));
                }
            }
        }
        env.push(("AWS_SECURITY_TOKEN", None));
        env.push(("AWS_PROFILE", None));
        env.push(("AWS_DEFAULT_PROFILE", None));
        if credentials.is_some() {
            for name in [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            ] {
                env.push((name, None));
            }
        }
        if let Some(region) = self.region {
            env.push((AWS_REGION, checked(AWS_REGION, region)?));
            env.push((AWS_DEFAULT_REGION, checked(AWS_DEFAULT_REGION, region)?));
        }
        Ok(env)
    }

    /// `credentials` in `format`: one line per variable (or one JSON line),
    /// each ending with `\n`.
    ///
    /// The output holds the secret access key and the session token: write
    /// it where only the user reads it, never to a log.
    ///
    /// # Errors
    ///
    /// [`ExportError::UnsafeForCmd`] for a value `cmd.exe` would interpret
    /// ([`ExportFormat::WindowsCmd`] only); [`ExportError::NulInValue`] for
    /// a value with a NUL character (shell formats);
    /// [`ExportError::UnrepresentableExpiration`] for an expiry outside
    /// 1970 to 9999.
    ///
    /// ```
    /// use oidc_host::export::{Export, ExportError, ExportFormat};
    /// use oidc_host::oidc_core::Credentials;
    ///
    /// let odd = Credentials::new("AKIAIOSFODNN7EXAMPLE", "100%&more");
    /// assert_eq!(
    ///     Export::new().render(&odd, ExportFormat::WindowsCmd),
    ///     Err(ExportError::UnsafeForCmd { variable: "AWS_SECRET_ACCESS_KEY" })
    /// );
    /// assert_eq!(
    ///     Export::new().render(&odd, ExportFormat::Env).unwrap(),
    ///     "export AWS_ACCESS_KEY_ID='AKIAIOSFODNN7EXAMPLE'\nexport AWS_SECRET_ACCESS_KEY='100%&more'\n"
    /// );
    /// ```
    pub fn render(
        &self,
        credentials: &Credentials,
        format: ExportFormat,
    ) -> Result<String, ExportError> {
        let expiration = credentials.expires_at.map(rfc3339).transpose()?;
        let token = credentials.session_token.as_ref().map(|t| t.secret());
        let account_id = credentials.account_id.as_deref().or(self.account_id);
        match format {
            ExportFormat::Process => {
                let mut o = JsonObject::default();
                o.raw("Version", "1");
                o.string("AccessKeyId", &credentials.access_key_id);
                o.string("SecretAccessKey", credentials.secret_access_key.secret());
                for (key, value) in [
                    ("SessionToken", token),
                    ("Expiration", expiration.as_deref()),
                    ("AccountId", account_id),
                ] {
                    if let Some(value) = value {
                        o.string(key, value);
                    }
                }
                Ok(o.finish())
            }
            ExportFormat::Json => {
                let mut o = JsonObject::default();
                o.string("accessKeyId", &credentials.access_key_id);
                o.string("secretAccessKey", credentials.secret_access_key.secret());
                for (key, value) in [
                    ("sessionToken", token),
                    ("expiration", expiration.as_deref()),
                    ("accountId", account_id),
                    ("roleName", self.role_name),
                    ("profile", self.profile),
                    ("region", self.region),
                ] {
                    match value {
                        Some(value) => o.string(key, value),
                        None => o.raw(key, "null"),
                    }
                }
                Ok(o.finish())
            }
            shell => {
                let mut vars: Vec<(&'static str, &str)> = vec![
                    (AWS_ACCESS_KEY_ID, &credentials.access_key_id),
                    (
                        AWS_SECRET_ACCESS_KEY,
                        credentials.secret_access_key.secret(),
                    ),
                ];
                if let Some(t) = token {
                    vars.push((AWS_SESSION_TOKEN, t));
                }
                if let Some(e) = &expiration {
                    vars.push((AWS_CREDENTIAL_EXPIRATION, e));
                }
                if let Some(r) = self.region {
                    vars.push((AWS_REGION, r));
                    vars.push((AWS_DEFAULT_REGION, r));
                }
                let mut out = String::new();
                for (name, value) in vars {
                    shell_line(&mut out, shell, name, value)?;
                }
                Ok(out)
            }
        }
    }
}

/// A one-line JSON object, members in the order written; every string
/// encoded by `serde_json`, so the output is always valid JSON.
#[derive(Default)]
struct JsonObject(String);

impl JsonObject {
    fn raw(&mut self, key: &str, raw: &str) {
        self.0.push(if self.0.is_empty() { '{' } else { ',' });
        self.0.push_str(&Value::from(key).to_string());
        self.0.push(':');
        self.0.push_str(raw);
    }

    fn string(&mut self, key: &str, value: &str) {
        self.raw(key, &Value::from(value).to_string());
    }

    fn finish(mut self) -> String {
        if self.0.is_empty() {
            self.0.push('{');
        }
        self.0.push_str("}\n");
        self.0
    }
}

/// Appends `name` = `value` for `shell`.
fn shell_line(
    out: &mut String,
    shell: ExportFormat,
    name: &'static str,
    value: &str,
) -> Result<(), ExportError> {
    if value.contains('\0') {
        return Err(ExportError::NulInValue { variable: name });
    }
    match shell {
        ExportFormat::Env | ExportFormat::EnvNoExport => {
            if shell == ExportFormat::Env {
                out.push_str("export ");
            }
            out.push_str(name);
            out.push('=');
            sh_quote(out, value);
        }
        ExportFormat::PowerShell => {
            out.push_str("$Env:");
            out.push_str(name);
            out.push_str(" = ");
            powershell_quote(out, value);
        }
        ExportFormat::Fish => {
            out.push_str("set -gx ");
            out.push_str(name);
            out.push(' ');
            fish_quote(out, value);
        }
        ExportFormat::WindowsCmd => {
            if !cmd_safe(value) {
                return Err(ExportError::UnsafeForCmd { variable: name });
            }
            out.push_str("set ");
            out.push_str(name);
            out.push('=');
            out.push_str(value);
        }
        ExportFormat::Process | ExportFormat::Json => {}
    }
    out.push('\n');
    Ok(())
}

/// POSIX `sh` single quotes: everything literal; a `'` closes, is escaped
/// and reopens (`'\''`).
fn sh_quote(out: &mut String, value: &str) {
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
}

/// `fish` single quotes: only `\\` and `\'` are escapes.
fn fish_quote(out: &mut String, value: &str) {
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\\' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
}

/// PowerShell single quotes: everything literal; every character
/// PowerShell takes for a single quote (`'` and U+2018..U+201B) is doubled.
fn powershell_quote(out: &mut String, value: &str) {
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
}

/// Whether `set NAME=value` carries `value` literally in `cmd.exe` (also
/// with delayed expansion on, and inside a parenthesised block).
fn cmd_safe(value: &str) -> bool {
    !value.chars().any(|c| {
        c.is_control() || matches!(c, '%' | '^' | '&' | '|' | '<' | '>' | '"' | '!' | '(' | ')')
    })
}

/// RFC 3339 UTC to the second (`2024-01-01T01:00:00Z`).
fn rfc3339(at: SystemTime) -> Result<String, ExportError> {
    use time::format_description::well_known::Rfc3339;
    const LATEST: u64 = 253_402_300_799;
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| ExportError::UnrepresentableExpiration)?
        .as_secs();
    if secs > LATEST {
        return Err(ExportError::UnrepresentableExpiration);
    }
    i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or(ExportError::UnrepresentableExpiration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn full() -> Credentials {
        Credentials::new("ASIAIOSFODNN7EXAMPLE", "planted-secret'$(x)")
            .with_session_token("planted-token")
            .with_expiry(SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_070_800))
            .with_account_id("123456789012")
    }

    #[test]
    fn every_format() {
        let c = full();
        let e = Export::new()
            .with_region("eu-west-1")
            .with_role_name("ReadOnly")
            .with_profile("dev");
        let process = e.render(&c, ExportFormat::Process).unwrap();
        let v: Value = serde_json::from_str(&process).unwrap();
        assert_eq!(v["Version"], 1);
        assert_eq!(v["SecretAccessKey"], "planted-secret'$(x)");
        assert_eq!(v["Expiration"], "2024-01-01T01:00:00Z");
        assert_eq!(v["AccountId"], "123456789012");
        assert!(v.get("region").is_none());
        let v: Value = serde_json::from_str(&e.render(&c, ExportFormat::Json).unwrap()).unwrap();
        assert_eq!(v["roleName"], "ReadOnly");
        assert_eq!(v["profile"], "dev");
        assert_eq!(v["region"], "eu-west-1");
        assert_eq!(v["sessionToken"], "planted-token");
        assert_eq!(
            e.render(&c, ExportFormat::EnvNoExport).unwrap(),
            "AWS_ACCESS_KEY_ID='ASIAIOSFODNN7EXAMPLE'\n\
             AWS_SECRET_ACCESS_KEY='planted-secret'\\''$(x)'\n\
             AWS_SESSION_TOKEN='planted-token'\n\
             AWS_CREDENTIAL_EXPIRATION='2024-01-01T01:00:00Z'\n\
             AWS_REGION='eu-west-1'\n\
             AWS_DEFAULT_REGION='eu-west-1'\n"
        );
        assert_eq!(
            e.render(&c, ExportFormat::WindowsCmd),
            Err(ExportError::UnsafeForCmd {
                variable: AWS_SECRET_ACCESS_KEY
            })
        );
        let ps = e.render(&c, ExportFormat::PowerShell).unwrap();
        assert!(ps.contains("$Env:AWS_SECRET_ACCESS_KEY = 'planted-secret''$(x)'\n"));
        let fish = e.render(&c, ExportFormat::Fish).unwrap();
        assert!(fish.contains("set -gx AWS_SECRET_ACCESS_KEY 'planted-secret\\'$(x)'\n"));
    }

    #[test]
    fn cmd_refuses_what_it_interprets() {
        for bad in [
            "a%b", "a^b", "a&b", "a|b", "a<b", "a>b", "a\"b", "a!b", "a(b", "a)b", "a\nb", "a\rb",
            "a\u{1b}b",
        ] {
            let c = Credentials::new("AKID", bad);
            let err = Export::new()
                .render(&c, ExportFormat::WindowsCmd)
                .unwrap_err();
            assert_eq!(
                err,
                ExportError::UnsafeForCmd {
                    variable: AWS_SECRET_ACCESS_KEY
                }
            );
            assert!(!err.to_string().contains(bad));
        }
        let c = Credentials::new("AKID", "wJalr/K7+MDENG=");
        assert!(Export::new().render(&c, ExportFormat::WindowsCmd).is_ok());
    }

    #[test]
    fn nul_and_unrepresentable_expiries_are_refused() {
        let c = Credentials::new("AKID", "a\0b");
        for f in [
            ExportFormat::Env,
            ExportFormat::Fish,
            ExportFormat::PowerShell,
        ] {
            assert_eq!(
                Export::new().render(&c, f),
                Err(ExportError::NulInValue {
                    variable: AWS_SECRET_ACCESS_KEY
                })
            );
        }
        // JSON carries it escaped.
        assert!(Export::new()
            .render(&c, ExportFormat::Json)
            .unwrap()
            .contains("a\\u0000b"));
        for at in [
            SystemTime::UNIX_EPOCH - Duration::from_secs(1),
            SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_800),
        ] {
            let c = Credentials::new("AKID", "s").with_expiry(at);
            for f in ExportFormat::ALL {
                assert_eq!(
                    Export::new().render(&c, f),
                    Err(ExportError::UnrepresentableExpiration)
                );
            }
        }
        let last = SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_799);
        let c = Credentials::new("AKID", "s").with_expiry(last);
        assert!(Export::new()
            .render(&c, ExportFormat::Env)
            .unwrap()
            .contains("9999-12-31T23:59:59Z"));
    }

    #[test]
    fn debug_holds_no_secret() {
        let e = Export::new().with_region("r");
        assert!(!format!("{e:?}").contains("planted"));
    }
}
