//! Errors from endpoint resolution.

/// Why no endpoint could be resolved.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// An `error` rule of the service's rule set matched (a configuration
    /// error such as `Invalid Configuration: Missing Region`). `Display`
    /// prints exactly the rule set's message.
    #[error("{message}")]
    Rule {
        /// The rule set's message, unchanged.
        message: String,
    },
    /// The endpoint URL is not an absolute `http`/`https` URL with a host
    /// (or has a query, fragment or user info, which cannot be joined with
    /// an operation path).
    #[error("invalid endpoint URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given or produced.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The region is not a valid DNS label (1 to 63 ASCII letters, digits
    /// or hyphens, not starting with a hyphen), so it cannot be placed in a
    /// host name.
    #[error("invalid region `{region}`: not a valid host label")]
    InvalidRegion {
        /// The region as configured.
        region: String,
    },
    /// The evaluator could not evaluate the rule set (unknown function,
    /// malformed rule, wrong argument type, no rule matched...). This is a
    /// defect in the embedded data or the evaluator, not in the caller's
    /// configuration.
    #[error("endpoint rule evaluation failed: {message}")]
    Evaluation {
        /// What went wrong.
        message: String,
    },
}
