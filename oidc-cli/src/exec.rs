//! `exec`.

use crate::runtime::Runtime;
use crate::target::BoxError;
use crate::{ExecArgs, Global};

/// `exec`.
pub(crate) fn exec(_rt: &Runtime, _g: &Global, _args: &ExecArgs) -> Result<(), BoxError> {
    Err(crate::exit::Failure::new(crate::exit::USAGE, "`exec` is not built yet").into())
}
