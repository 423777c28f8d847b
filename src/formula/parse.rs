//! The formula language's parser: text to a [`Graph`] node, every error
//! carrying the column it is about.
//!
//! ```text
//! sum     = product (("+" | "-") product)*
//! product = unary (("*" | "/") unary)*
//! unary   = "-" unary | power
//! power   = atom (("^" | "**") unary)?      integer exponents only; -x^2 = -(x^2)
//! atom    = number | name | name "(" sum ")" | "(" sum ")"
//! ```
//!
//! Names are the weights, the parameters, the sample (`x`, or its coordinates
//! `x1`..`x4` for a vector sample), the constants `pi` and `e`, and the
//! functions of [`Function::NAMED`].

use crate::formula::graph::{Built, Function, Graph, Id, TooLarge};
use crate::landscape::limits::MAX_SAMPLE;

/// Longest formula accepted, in characters.
pub const MAX_LENGTH: usize = 4096;
/// Deepest nesting of parentheses, calls and unary minus.
pub const MAX_DEPTH: usize = 64;

/// A parse or name error at a character column (0-based).
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub column: usize,
}

/// What the names of a formula mean.
pub struct Names<'a> {
    pub weights: &'a [String],
    pub params: &'a [String],
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64),
    Name(String),
    Symbol(char),
    /// `**`, read as `^`.
    Power,
    End,
}

struct Parser<'a> {
    tokens: Vec<(Token, usize)>,
    at: usize,
    depth: usize,
    names: &'a Names<'a>,
    graph: &'a mut Graph,
    /// How the sample was first written (`x`: scalar, `xK`: vector) and
    /// where: the two may not mix.
    sample: Option<(bool, usize)>,
}

fn error(message: impl Into<String>, column: usize) -> ParseError {
    ParseError { message: message.into(), column }
}

fn lex(text: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() > MAX_LENGTH {
        return Err(error(format!("the formula is longer than {MAX_LENGTH} characters"), MAX_LENGTH));
    }
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let sign = usize::from(matches!(chars.get(i + 1), Some('+' | '-')));
                if chars.get(i + 1 + sign).is_some_and(char::is_ascii_digit) {
                    i += 1 + sign;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let s: String = chars[start..i].iter().collect();
            let value: f64 = s.parse().map_err(|_| error(format!("'{s}' is not a number"), start))?;
            if !value.is_finite() || value.abs() > f32::MAX as f64 {
                return Err(error(format!("{s} is beyond the range of f32 (the GPU's numbers)"), start));
            }
            tokens.push((Token::Number(value), start));
        } else if c.is_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push((Token::Name(chars[start..i].iter().collect()), start));
        } else if c == '*' && chars.get(i + 1) == Some(&'*') {
            tokens.push((Token::Power, start));
            i += 2;
        } else if "+-*/^(),".contains(c) {
            tokens.push((Token::Symbol(c), start));
            i += 1;
        } else {
            return Err(error(format!("unexpected character '{}'", c.escape_default()), start));
        }
    }
    tokens.push((Token::End, chars.len()));
    Ok(tokens)
}

/// Parses `text` into `graph`: the node of the whole expression.
pub fn parse(text: &str, names: &Names, graph: &mut Graph) -> Result<Id, ParseError> {
    let tokens = lex(text)?;
    let mut p = Parser { tokens, at: 0, depth: 0, names, graph, sample: None };
    let e = p.sum()?;
    match p.peek() {
        Token::End => Ok(e),
        Token::Symbol(')') => Err(error("unmatched ')'", p.column())),
        _ => Err(error("expected an operator (+ - * / ^) or the end of the formula", p.column())),
    }
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.at].0
    }

    fn column(&self) -> usize {
        self.tokens[self.at].1
    }

    fn next(&mut self) -> (Token, usize) {
        let t = self.tokens[self.at].clone();
        if t.0 != Token::End {
            self.at += 1;
        }
        t
    }

    fn built(&self, b: Built, column: usize) -> Result<Id, ParseError> {
        b.map_err(|TooLarge| error("the formula is too large", column))
    }

    fn deeper(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(error(format!("the formula nests deeper than {MAX_DEPTH} levels"), self.column()));
        }
        Ok(())
    }

    fn sum(&mut self) -> Result<Id, ParseError> {
        let mut e = self.product()?;
        while let Token::Symbol(op @ ('+' | '-')) = *self.peek() {
            let column = self.next().1;
            let r = self.product()?;
            let b = if op == '+' { self.graph.add(e, r) } else { self.graph.sub(e, r) };
            e = self.built(b, column)?;
        }
        Ok(e)
    }

    fn product(&mut self) -> Result<Id, ParseError> {
        let mut e = self.unary()?;
        while let Token::Symbol(op @ ('*' | '/')) = *self.peek() {
            let column = self.next().1;
            let r = self.unary()?;
            let b = if op == '*' { self.graph.mul(e, r) } else { self.graph.div(e, r) };
            e = self.built(b, column)?;
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Id, ParseError> {
        if *self.peek() == Token::Symbol('-') {
            let column = self.next().1;
            self.deeper()?;
            let e = self.unary()?;
            self.depth -= 1;
            let b = self.graph.call(Function::Neg, e);
            return self.built(b, column);
        }
        if *self.peek() == Token::Symbol('+') {
            self.next();
            return self.unary();
        }
        self.power()
    }

    fn power(&mut self) -> Result<Id, ParseError> {
        let base = self.atom()?;
        if !matches!(self.peek(), Token::Symbol('^') | Token::Power) {
            return Ok(base);
        }
        let column = self.next().1;
        let exponent_column = self.column();
        self.deeper()?;
        let exponent = self.unary()?;
        self.depth -= 1;
        let n = match self.graph.constant(exponent) {
            Some(n) if n.fract() == 0.0 && n.abs() <= 64.0 => n as i32,
            Some(_) => {
                return Err(error(
                    "the exponent must be an integer from -64 to 64 (write exp(b*log(a)) for a real power)",
                    exponent_column,
                ))
            }
            None => {
                return Err(error(
                    "the exponent must be a constant integer (write exp(b*log(a)) for a variable power)",
                    exponent_column,
                ))
            }
        };
        let b = self.graph.powi(base, n);
        self.built(b, column)
    }

    fn atom(&mut self) -> Result<Id, ParseError> {
        let (token, column) = self.next();
        match token {
            Token::Number(v) => {
                let b = self.graph.num(v);
                self.built(b, column)
            }
            Token::Symbol('(') => {
                self.deeper()?;
                let e = self.sum()?;
                self.depth -= 1;
                self.close(column)?;
                Ok(e)
            }
            Token::Name(name) => self.name(&name, column),
            Token::End => Err(error("the formula ends where a number, name or '(' was expected", column)),
            Token::Symbol(c) => Err(error(format!("expected a number, name or '(' before '{c}'"), column)),
            Token::Power => Err(error("expected a number, name or '(' before '**'", column)),
        }
    }

    fn close(&mut self, open: usize) -> Result<(), ParseError> {
        match self.peek() {
            Token::Symbol(')') => {
                self.next();
                Ok(())
            }
            Token::End => Err(error("this '(' is never closed", open)),
            _ => Err(error("expected ')'", self.column())),
        }
    }

    fn name(&mut self, name: &str, column: usize) -> Result<Id, ParseError> {
        if let Some(f) = Function::by_name(name) {
            if *self.peek() != Token::Symbol('(') {
                return Err(error(format!("{name} is a function: write {name}(...)"), column));
            }
            let open = self.next().1;
            self.deeper()?;
            let a = self.sum()?;
            self.depth -= 1;
            if *self.peek() == Token::Symbol(',') {
                return Err(error(format!("{name} takes one argument"), self.column()));
            }
            self.close(open)?;
            let b = self.graph.call(f, a);
            return self.built(b, column);
        }
        if *self.peek() == Token::Symbol('(') {
            let known: Vec<&str> = Function::NAMED.iter().map(|(n, _)| *n).collect();
            return Err(error(format!("unknown function '{name}' (known: {})", known.join(", ")), column));
        }
        let b = if let Some(i) = self.names.weights.iter().position(|w| w == name) {
            self.graph.weight(i)
        } else if let Some(k) = self.names.params.iter().position(|p| p == name) {
            self.graph.param(k)
        } else if let Some(coordinate) = sample_coordinate(name) {
            let c = self.coordinate(name, coordinate, column)?;
            self.graph.x(c)
        } else if name == "pi" {
            self.graph.num(std::f64::consts::PI)
        } else if name == "e" {
            self.graph.num(std::f64::consts::E)
        } else {
            let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
            return Err(error(
                format!(
                    "unknown name '{name}' (weights: {}; parameters: {}; the sample: x, or x1..x{MAX_SAMPLE}; \
                     constants: pi, e)",
                    list(self.names.weights),
                    list(self.names.params)
                ),
                column,
            ));
        };
        self.built(b, column)
    }
}

/// Whether `name` can name a weight or parameter: an identifier that is not
/// the sample (x, or x followed by digits), a constant or a function.
pub fn reserved(name: &str) -> bool {
    sample_coordinate(name).is_some() || name == "pi" || name == "e" || Function::by_name(name).is_some()
}

/// `x` (Some(None)), `xK` for digits K (Some(Some(K)), any K: the parser
/// checks the range), or not the sample (None).
fn sample_coordinate(name: &str) -> Option<Option<u64>> {
    let digits = name.strip_prefix('x')?;
    if digits.is_empty() {
        return Some(None);
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Some(digits.parse().unwrap_or(u64::MAX)))
}

impl Parser<'_> {
    /// The sample coordinate `name` (`coordinate` from [`sample_coordinate`])
    /// stands for: 0 for the scalar x, K − 1 for xK with 1 ≤ K ≤
    /// [`MAX_SAMPLE`]; the scalar and the vector forms may not mix.
    fn coordinate(&mut self, name: &str, coordinate: Option<u64>, column: usize) -> Result<usize, ParseError> {
        let vector = coordinate.is_some();
        match self.sample {
            Some((first, at)) if first != vector => {
                let other = if first { "x1..xk" } else { "x" };
                return Err(error(
                    format!(
                        "'{name}': the sample is already written {other} (column {}); write it as x (a scalar) or \
                         as x1..x{MAX_SAMPLE} (a vector), not both",
                        at + 1
                    ),
                    column,
                ));
            }
            Some(_) => {}
            None => self.sample = Some((vector, column)),
        }
        match coordinate {
            None => Ok(0),
            Some(k) if (1..=MAX_SAMPLE as u64).contains(&k) => Ok(k as usize - 1),
            Some(_) => Err(error(
                format!("'{name}': a vector sample has coordinates x1..x{MAX_SAMPLE} (at most {MAX_SAMPLE})"),
                column,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> (Vec<String>, Vec<String>) {
        (vec!["h".into(), "w".into()], vec!["c".into()])
    }

    fn parse_err(text: &str) -> ParseError {
        let (w, p) = names();
        let names = Names { weights: &w, params: &p };
        parse(text, &names, &mut Graph::default()).expect_err(text)
    }

    #[test]
    fn errors_point_at_their_column() {
        let cases: [(&str, usize, &str); 14] = [
            ("0.5*(h + y)", 9, "unknown name 'y'"),
            ("0.5*(h + x", 4, "never closed"),
            ("h + * x", 4, "expected a number"),
            ("h x", 2, "expected an operator"),
            ("h)", 1, "unmatched ')'"),
            ("h^w", 2, "constant integer"),
            ("h^0.5", 2, "integer from -64 to 64"),
            ("foo(h)", 0, "unknown function 'foo'"),
            ("exp h", 0, "exp is a function"),
            ("h + $", 4, "unexpected character '$'"),
            ("x5*h", 0, "coordinates x1..x4"),
            ("x0*h", 0, "coordinates x1..x4"),
            ("x1*h + x", 7, "already written x1..xk (column 1)"),
            ("1e999*h", 0, "range of f32"),
        ];
        for (text, column, message) in cases {
            let e = parse_err(text);
            assert_eq!(e.column, column, "{text}: {e:?}");
            assert!(e.message.contains(message), "{text}: {e:?}");
        }
    }

    #[test]
    fn nesting_and_length_are_bounded() {
        let deep = format!("{}h{}", "(".repeat(100), ")".repeat(100));
        assert!(parse_err(&deep).message.contains("deeper than 64"));
        let long = "h+".repeat(3000) + "h";
        assert!(parse_err(&long).message.contains("longer than 4096"));
    }

    #[test]
    fn precedence_and_constants() {
        let (w, p) = names();
        let names = Names { weights: &w, params: &p };
        let mut g = Graph::default();
        // -2^2 = -(2^2); 2^3^2 = 2^9; 1 + 2*3 = 7; 2**3 = 8.
        for (text, value) in [("-2^2", -4.0), ("2^3^2", 512.0), ("1 + 2*3", 7.0), ("2**3", 8.0), ("2*pi/pi", 2.0)] {
            let id = parse(text, &names, &mut g).unwrap();
            assert_eq!(g.constant(id), Some(value), "{text}");
        }
    }
}
