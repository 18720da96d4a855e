//! oidc-ureq (placeholder until its issue lands).
