//! oidc-hyper (placeholder until its issue lands).
