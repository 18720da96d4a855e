//! cache (pending).
