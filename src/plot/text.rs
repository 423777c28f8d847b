//! Math in labels without a math renderer: Unicode sub- and superscripts
//! that the bundled DejaVu Sans draws.

/// The characters with a Unicode subscript form the bundled font draws, and
/// those forms.
const SUBSCRIPTS: [(char, char); 32] = [
    ('0', '₀'),
    ('1', '₁'),
    ('2', '₂'),
    ('3', '₃'),
    ('4', '₄'),
    ('5', '₅'),
    ('6', '₆'),
    ('7', '₇'),
    ('8', '₈'),
    ('9', '₉'),
    ('+', '₊'),
    ('-', '₋'),
    ('−', '₋'),
    ('=', '₌'),
    ('(', '₍'),
    (')', '₎'),
    ('a', 'ₐ'),
    ('e', 'ₑ'),
    ('h', 'ₕ'),
    ('i', 'ᵢ'),
    ('j', 'ⱼ'),
    ('k', 'ₖ'),
    ('l', 'ₗ'),
    ('m', 'ₘ'),
    ('n', 'ₙ'),
    ('o', 'ₒ'),
    ('p', 'ₚ'),
    ('r', 'ᵣ'),
    ('s', 'ₛ'),
    ('t', 'ₜ'),
    ('u', 'ᵤ'),
    ('x', 'ₓ'),
];

/// `text` as a subscript: digits, signs, parentheses and the lower-case
/// letters that have a subscript form (`subscript("t+1")` is `ₜ₊₁`); any
/// other character (capitals have no subscript form) is kept as it is.
pub fn subscript(text: &str) -> String {
    text.chars().map(|c| SUBSCRIPTS.iter().find(|(from, _)| *from == c).map_or(c, |&(_, to)| to)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscripts_map_digits_signs_and_letters() {
        assert_eq!(subscript("10"), "₁₀");
        assert_eq!(subscript("t+1"), "ₜ₊₁");
        assert_eq!(subscript("s−1"), "ₛ₋₁");
        assert_eq!(subscript("max"), "ₘₐₓ");
        assert_eq!(subscript("T"), "T");
    }
}
