//! The `credential_process` protocol: the command line split as botocore
//! splits it, and the JSON the process prints parsed as botocore's
//! `ProcessProvider` reads it.
//!
//! The host runs the program ([`split_command`] gives it the argument
//! vector; no shell is involved), reads at most [`MAX_OUTPUT_BYTES`] of its
//! standard output, and hands the bytes to [`parse_output`]. Writing that
//! JSON (for a tool that *is* a credential process) is the `process`
//! format of `oidc-host`'s export module, not repeated here.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use oidc_core::credential_process::{parse_output, split_command};
//!
//! let argv = split_command(r#"/opt/bin/creds --profile "my profile" --json"#)?;
//! assert_eq!(argv, ["/opt/bin/creds", "--profile", "my profile", "--json"]);
//!
//! let credentials = parse_output(br#"{"Version": 1, "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
//!     "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
//!     "SessionToken": "IQoJb3JpZ2luX2VjEXAMPLE", "Expiration": "2024-01-01T01:00:00Z"}"#)?;
//! assert_eq!(credentials.access_key_id, "ASIAIOSFODNN7EXAMPLE");
//! let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(1_704_070_800);
//! assert_eq!(credentials.expires_at, Some(expiry));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde_json::{Map, Value};

use crate::cache::credentials::parse_expiration;
use crate::credentials::{check, Credentials};

/// The most standard output [`parse_output`] accepts (128 KiB): room for
/// the longest session token the crate accepts (64 KiB) and the rest. The
/// host stops reading there and reports the process as failed.
pub const MAX_OUTPUT_BYTES: usize = 128 * 1024;

/// Why a `credential_process` command line cannot be run.
///
/// The command line may carry secrets (a token passed as an argument), so
/// no message quotes it; positions are byte offsets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandLineError {
    /// A quote is never closed (Python's `No closing quotation`).
    #[error("credential_process: the {quote} quote opened at byte {at} is never closed")]
    UnterminatedQuote {
        /// `'` or `"`.
        quote: char,
        /// Byte offset of the opening quote.
        at: usize,
    },
    /// The line ends with a backslash that escapes nothing (Python's `No
    /// escaped character`).
    #[error("credential_process: the command line ends with an unfinished backslash escape")]
    UnfinishedEscape,
    /// The line has no words.
    #[error("credential_process: the command line is empty")]
    Empty,
    /// The first word (the program) is the empty string (`''`).
    #[error("credential_process: the program name is empty")]
    EmptyProgram,
}

/// Splits a `credential_process` command line into the program and its
/// arguments as botocore does on POSIX systems
/// (`compat_shell_split` → `shlex.split(line)`: POSIX mode, no comments):
///
/// * words are separated by runs of space, tab, CR and LF (only these);
/// * `'...'` is literal; in `"..."` a backslash escapes only `"` and `\`
///   (otherwise it stays, with the next character); outside quotes a
///   backslash takes the next character literally (a newline too);
/// * quoted parts join the word around them, and `''` is an empty word;
/// * `#`, `$`, backticks, `;`, `|`, `>` ... are ordinary characters: there
///   is no shell, no expansion and no comment.
///
/// One pass over the line, so linear in its length. On Windows botocore
/// splits with its own `_windows_shell_split` (the `CommandLineToArgvW`
/// rules) instead; that splitter is not modelled here.
///
/// ```
/// use oidc_core::credential_process::{split_command, CommandLineError};
///
/// assert_eq!(split_command(r"a\ b 'c d' x#y")?, ["a b", "c d", "x#y"]);
/// assert_eq!(split_command("'open").unwrap_err(), CommandLineError::UnterminatedQuote { quote: '\'', at: 0 });
/// assert_eq!(split_command("  ").unwrap_err(), CommandLineError::Empty);
/// # Ok::<(), CommandLineError>(())
/// ```
///
/// # Errors
///
/// A quote left open, a trailing backslash, no words, or an empty program
/// name.
pub fn split_command(line: &str) -> Result<Vec<String>, CommandLineError> {
    #[derive(Clone, Copy)]
    enum State {
        /// Between words.
        Space,
        /// In a word, outside quotes.
        Word,
        /// In `'...'` or `"..."`, opened at the byte offset.
        Quoted(char, usize),
    }
    let mut words = Vec::new();
    let mut word = String::new();
    let mut state = State::Space;
    let mut chars = line.char_indices();
    while let Some((at, c)) = chars.next() {
        state = match (state, c) {
            (State::Space | State::Word, ' ' | '\t' | '\r' | '\n') => {
                if matches!(state, State::Word) {
                    words.push(std::mem::take(&mut word));
                }
                State::Space
            }
            (State::Space | State::Word, '\'' | '"') => State::Quoted(c, at),
            (State::Space | State::Word, '\\') => {
                let (_, next) = chars.next().ok_or(CommandLineError::UnfinishedEscape)?;
                word.push(next);
                State::Word
            }
            (State::Space | State::Word, _) => {
                word.push(c);
                State::Word
            }
            (State::Quoted(quote, _), _) if c == quote => State::Word,
            (State::Quoted('"', open), '\\') => {
                let (_, next) = chars.next().ok_or(CommandLineError::UnfinishedEscape)?;
                if next != '"' && next != '\\' {
                    word.push('\\');
                }
                word.push(next);
                State::Quoted('"', open)
            }
            (State::Quoted(quote, open), _) => {
                word.push(c);
                State::Quoted(quote, open)
            }
        };
    }
    match state {
        State::Quoted(quote, at) => return Err(CommandLineError::UnterminatedQuote { quote, at }),
        State::Word => words.push(word),
        State::Space => {}
    }
    match words.first() {
        None => Err(CommandLineError::Empty),
        Some(program) if program.is_empty() => Err(CommandLineError::EmptyProgram),
        Some(_) => Ok(words),
    }
}

/// Why a credential process's output is not usable.
///
/// Messages name the member and what was expected, never a value and
/// never the output itself (it holds secrets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessOutputError {
    /// The output is longer than [`MAX_OUTPUT_BYTES`].
    #[error("credential_process output is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The output is not one well-formed JSON value (or not UTF-8).
    #[error("credential_process output is not valid JSON (error at line {line}, column {column})")]
    InvalidJson {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// The JSON value is not an object.
    #[error("credential_process output is not a JSON object")]
    NotAnObject,
    /// `Version` is absent or not the integer 1.
    #[error(
        "credential_process output: Version must be the integer 1 (the only supported version)"
    )]
    UnsupportedVersion,
    /// A required member is absent.
    #[error("credential_process output is missing {member}")]
    MissingMember {
        /// The member, as `AccessKeyId`.
        member: &'static str,
    },
    /// A member is not a string (or `null`, for the optional ones).
    #[error("credential_process output: {member} is not a string")]
    NotAString {
        /// The member.
        member: &'static str,
    },
    /// A member is a string outside what AWS issues.
    #[error("credential_process output: {member} is out of range: {detail}")]
    InvalidValue {
        /// The member.
        member: &'static str,
        /// What was expected (never the value).
        detail: &'static str,
    },
    /// `Expiration` is not an RFC 3339 timestamp.
    #[error("credential_process output: {member} is not a valid RFC 3339 timestamp")]
    InvalidTimestamp {
        /// The member (`Expiration`).
        member: &'static str,
    },
}

/// Parses what a credential process printed: one JSON object with
///
/// * `Version`: the integer `1` (botocore refuses any other version);
/// * `AccessKeyId`, `SecretAccessKey`: required strings;
/// * `SessionToken`: optional (long-term keys have none), as in botocore;
/// * `Expiration`: optional RFC 3339 (absent: the credentials never
///   expire, as in botocore, which then does not refresh them);
/// * `AccountId`: optional, 12 digits (botocore treats an empty one as
///   absent, and so does this; the host may fall back to the profile's
///   `aws_account_id`, as botocore does).
///
/// Optional members that are `null` count as absent (botocore's
/// `parsed.get(..)`); other members are ignored. Every value passes the
/// checks of service answers: key ids of `A-Z a-z 0-9 _` (1 to 128),
/// secrets and tokens of the base64 alphabet, an expiry from 1970 to 9999.
/// botocore is laxer in three ways this refuses: a `Version` of `1.0` or
/// `true` (Python's `== 1`), an expiration in any form `dateutil` guesses,
/// and values of any content.
///
/// # Errors
///
/// [`ProcessOutputError`], naming the member.
pub fn parse_output(stdout: &[u8]) -> Result<Credentials, ProcessOutputError> {
    if stdout.len() > MAX_OUTPUT_BYTES {
        return Err(ProcessOutputError::TooLarge {
            limit: MAX_OUTPUT_BYTES,
        });
    }
    let value: Value = serde_json::from_slice(stdout).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ProcessOutputError::NotAnObject,
        _ => ProcessOutputError::InvalidJson {
            line: e.line(),
            column: e.column(),
        },
    })?;
    let Value::Object(mut map) = value else {
        return Err(ProcessOutputError::NotAnObject);
    };
    if map.get("Version").and_then(Value::as_u64) != Some(1) {
        return Err(ProcessOutputError::UnsupportedVersion);
    }
    let access_key_id = required(&mut map, "AccessKeyId")?;
    valid("AccessKeyId", check::access_key_id(&access_key_id, 1))?;
    let secret = required(&mut map, "SecretAccessKey")?;
    valid("SecretAccessKey", check::secret_access_key(&secret))?;
    let mut credentials = Credentials::new(access_key_id, secret);
    if let Some(token) = optional(&mut map, "SessionToken")? {
        valid("SessionToken", check::session_token(&token))?;
        credentials = credentials.with_session_token(token);
    }
    if let Some(text) = optional(&mut map, "Expiration")? {
        let expiry = parse_expiration(&text).ok_or(ProcessOutputError::InvalidTimestamp {
            member: "Expiration",
        })?;
        valid("Expiration", check::expiry(expiry))?;
        credentials = credentials.with_expiry(expiry);
    }
    if let Some(account_id) = optional(&mut map, "AccountId")?.filter(|a| !a.is_empty()) {
        valid("AccountId", check::account_id(&account_id))?;
        credentials = credentials.with_account_id(account_id);
    }
    Ok(credentials)
}

fn required(
    map: &mut Map<String, Value>,
    member: &'static str,
) -> Result<String, ProcessOutputError> {
    match map.remove(member) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ProcessOutputError::NotAString { member }),
        None => Err(ProcessOutputError::MissingMember { member }),
    }
}

fn optional(
    map: &mut Map<String, Value>,
    member: &'static str,
) -> Result<Option<String>, ProcessOutputError> {
    match map.remove(member) {
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Null) | None => Ok(None),
        Some(_) => Err(ProcessOutputError::NotAString { member }),
    }
}

fn valid(
    member: &'static str,
    checked: Result<(), &'static str>,
) -> Result<(), ProcessOutputError> {
    checked.map_err(|detail| ProcessOutputError::InvalidValue { member, detail })
}
