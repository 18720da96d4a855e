//! oidc-emulator (placeholder until its issue lands).
