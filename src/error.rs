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

/// `parsed` as clap's `value_parser` wants it: the error's message without
/// the `FLAG TEXT: ` prefix that clap writes itself.
pub fn for_clap<T>(flag: &str, text: &str, parsed: Result<T>) -> std::result::Result<T, String> {
    parsed.map_err(|e| {
        let e = e.to_string();
        e.strip_prefix(&format!("{flag} {text}: ")).map_or(e.clone(), str::to_string)
    })
}

/// `text` on one line, as printed: every control character (a newline or a
/// tab inside an argument the message echoes, an escape sequence) written as
/// Rust escapes it (`\n`, `\t`, `\u{1b}`), so that no input can split an
/// error over lines or move the terminal's cursor.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(one_line("unknown landscape 'ga\nuss'"), "unknown landscape 'ga\\nuss'");
        assert_eq!(one_line("a\tb\r\u{1b}[2Jc\u{7f}"), "a\\tb\\r\\u{1b}[2Jc\\u{7f}");
        assert_eq!(one_line("θ = 1 · η"), "θ = 1 · η");
    }
}
