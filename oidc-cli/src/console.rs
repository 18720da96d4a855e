//! `console`.

use crate::runtime::Runtime;
use crate::target::BoxError;
use crate::{ConsoleArgs, Global};

/// `console`.
pub(crate) fn console(_rt: &Runtime, _g: &Global, _args: &ConsoleArgs) -> Result<(), BoxError> {
    Err(crate::exit::Failure::new(crate::exit::USAGE, "`console` is not built yet").into())
}
