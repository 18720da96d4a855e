//! PKCE (pending).
