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
    /// A formula that does not parse or names what it may not: the message
    /// names the column, and [`Error::pointer`] draws a caret under it.
    #[error("{what}: {message} (column {})", column + 1)]
    Formula { what: String, message: String, text: String, column: usize },
}

impl Error {
    /// For an error in a formula, two more lines to print under the message:
    /// the formula and a caret under the column it is about (each on one
    /// line whatever the formula holds).
    pub fn pointer(&self) -> Option<String> {
        let Error::Formula { text, column, .. } = self else { return None };
        let before: String = text.chars().take(*column).collect();
        let indent = one_line(&before).chars().count();
        Some(format!("  {}\n  {}^", one_line(text), " ".repeat(indent)))
    }
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
    fn formula_errors_point_at_their_column() {
        let e = super::Error::Formula {
            what: "--loss".into(),
            message: "unknown name 'y'".into(),
            text: "0.5*(\ty + x)".into(),
            column: 6,
        };
        assert_eq!(e.to_string(), "--loss: unknown name 'y' (column 7)");
        // The tab is drawn as two characters, and the caret follows it.
        assert_eq!(e.pointer().unwrap(), "  0.5*(\\ty + x)\n         ^");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(one_line("unknown landscape 'ga\nuss'"), "unknown landscape 'ga\\nuss'");
        assert_eq!(one_line("a\tb\r\u{1b}[2Jc\u{7f}"), "a\\tb\\r\\u{1b}[2Jc\\u{7f}");
        assert_eq!(one_line("θ = 1 · η"), "θ = 1 · η");
    }
}
