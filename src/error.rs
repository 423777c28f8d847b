//! The errors simsgd reports: one line each, and exit code 2 (as ripgrep does).

/// An error with a one-line message for the user.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: flags, values, names.
    #[error("{0}")]
    Usage(String),
    /// The GPU backend: no adapter, a device error, a lost device.
    #[error("GPU: {0}")]
    Gpu(String),
    /// Drawing a figure.
    #[error("plot: {0}")]
    Plot(#[from] crate::plot::PlotError),
    /// Some of several tasks failed (each already reported).
    #[error("{0}")]
    Failed(String),
    /// The machine refused a resource (threads).
    #[error("{0}")]
    System(String),
    /// Reading or writing a file.
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A usage error with this message.
pub fn usage(message: impl Into<String>) -> Error {
    Error::Usage(message.into())
}
