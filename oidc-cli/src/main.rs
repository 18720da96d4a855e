//! The sign-in tool.
fn main() {}
