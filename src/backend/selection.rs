//! Which GPU adapters a run uses (`--devices all|0,2`), in every build (a
//! build without the GPU backend refuses `--backend gpu` itself).

use crate::error::{usage, Result};

/// Which adapters `--devices` opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Every hardware adapter (every adapter where none is hardware).
    All,
    /// These indices of Vulkan's adapter list.
    Indices(Vec<usize>),
}

impl Selection {
    /// Parses `all` or a comma-separated list of indices.
    pub fn parse(text: &str) -> Result<Self> {
        if text == "all" {
            return Ok(Selection::All);
        }
        let indices: Option<Vec<usize>> = text.split(',').map(|i| i.trim().parse().ok()).collect();
        match indices {
            Some(indices) if !indices.is_empty() => Ok(Selection::Indices(indices)),
            _ => Err(usage(format!("--devices '{text}': expected all, or adapter indices such as 0,2"))),
        }
    }

    /// [`Selection::parse`] as clap's value parser.
    pub fn value_parser(text: &str) -> std::result::Result<Self, String> {
        crate::error::for_clap("--devices", &format!("'{text}'"), Self::parse(text))
    }
}

#[cfg(test)]
mod tests {
    use super::Selection;

    #[test]
    fn selections_parse() {
        assert_eq!(Selection::parse("all").unwrap(), Selection::All);
        assert_eq!(Selection::parse("0,2").unwrap(), Selection::Indices(vec![0, 2]));
        for bad in ["", "x", "0,", "-1", "all,0"] {
            let e = Selection::parse(bad).unwrap_err().to_string();
            assert!(e.starts_with(&format!("--devices '{bad}'")), "{e}");
        }
    }
}
