//! The drive loop's vocabulary: [`Flow`](flow::Flow), its steps and
//! events, blocking work as data ([`Job`](job::Job)), and cancellation.

pub(crate) mod flow;
pub(crate) mod job;
pub(crate) mod signal;
