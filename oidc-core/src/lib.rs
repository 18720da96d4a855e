//! oidc-core
pub mod secret;
