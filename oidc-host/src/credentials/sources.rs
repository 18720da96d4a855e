//! The blocking halves of the web identity and container sources: reading
//! the token files (the one safe read: a regular file, symbolic links
//! followed as the SDKs follow them, bounded, never blocking) and finding
//! the container endpoint.

use std::io;
use std::net::ToSocketAddrs as _;
use std::path::Path;

use oidc_core::container::ContainerEndpoint;
use oidc_core::secret::WebIdentityToken;

use crate::credentials::EnvLookup;
use crate::error::SourceError;
use crate::fs::{self, ReadError, Symlinks};

/// The largest token file read (the model allows 20,000 characters for a
/// web identity token).
const MAX_TOKEN_FILE_BYTES: u64 = 64 << 10;

/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`.
pub(crate) const ENV_CONTAINER_RELATIVE_URI: &str = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
pub(crate) const ENV_CONTAINER_FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
pub(crate) const ENV_CONTAINER_TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`.
pub(crate) const ENV_CONTAINER_TOKEN_FILE: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";

/// The file's text, as [`read_regular`](fs::read_regular) reads it.
fn read_text(path: &Path) -> Result<String, io::Error> {
    match fs::read_regular(path, Symlinks::Follow, MAX_TOKEN_FILE_BYTES) {
        Ok(Some(bytes)) => String::from_utf8(bytes.to_vec())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the file is not UTF-8")),
        Ok(None) => Err(io::Error::new(io::ErrorKind::NotFound, "no such file")),
        Err(ReadError::NotRegular(kind)) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {kind}, not a regular file"),
        )),
        Err(ReadError::TooLarge) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it is larger than {MAX_TOKEN_FILE_BYTES} bytes"),
        )),
        Err(ReadError::Io(_, e)) => Err(e),
    }
}

/// The web identity token in `path` (as botocore reads it: the whole file).
pub(crate) fn read_web_identity_token(path: &Path) -> Result<WebIdentityToken, SourceError> {
    read_text(path)
        .map(WebIdentityToken::new)
        .map_err(|source| SourceError::WebIdentityToken {
            path: path.to_owned(),
            source,
        })
}

/// The request for the container credentials the environment names: the
/// endpoint checked (a host name is resolved and every address must be
/// allowed), the authorization from the token file, else the variable.
pub(crate) fn container_request(env: &EnvLookup) -> Result<http::Request<Vec<u8>>, SourceError> {
    let endpoint = ContainerEndpoint::from_env(
        env.var(ENV_CONTAINER_RELATIVE_URI).as_deref(),
        env.var(ENV_CONTAINER_FULL_URI).as_deref(),
    )
    .map_err(SourceError::Container)?
    .ok_or(SourceError::ContainerNotConfigured)?;
    if endpoint.needs_resolution() {
        let port = endpoint.uri().port_u16().unwrap_or(80);
        let addrs: Vec<std::net::IpAddr> = (endpoint.host(), port)
            .to_socket_addrs()
            .map(|addrs| addrs.map(|a| a.ip()).collect())
            .unwrap_or_default();
        endpoint
            .check_resolved(&addrs)
            .map_err(SourceError::Container)?;
    }
    let token = match env.var(ENV_CONTAINER_TOKEN_FILE) {
        Some(file) => {
            let path = Path::new(&file);
            Some(
                read_text(path).map_err(|source| SourceError::ContainerToken {
                    path: path.to_owned(),
                    source,
                })?,
            )
        }
        None => env.var(ENV_CONTAINER_TOKEN),
    };
    endpoint
        .request(token.as_deref())
        .map_err(SourceError::Container)
}
