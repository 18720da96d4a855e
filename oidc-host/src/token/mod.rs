//! A session's SSO token: the AWS CLI's cache directory, the session lock,
//! the cache rules, and the session's state machine.

pub(crate) mod dir;
pub(crate) mod lock;
pub(crate) mod provider;
#[cfg(test)]
mod provider_tests;
pub(crate) mod session;
pub(crate) mod session_flow;
