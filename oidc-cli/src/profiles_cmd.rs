//! `profiles`.

use crate::runtime::Runtime;
use crate::target::BoxError;
use crate::Global;

/// `profiles`.
pub(crate) fn profiles(_rt: &Runtime, _g: &Global) -> Result<(), BoxError> {
    Err(crate::exit::Failure::new(crate::exit::USAGE, "`profiles` is not built yet").into())
}
