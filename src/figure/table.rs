//! A figure's data as a tidy table: one row per point, a column per
//! parameter, measurement and prediction; written as CSV.

/// One cell: text (a series name) or a number (empty in the CSV where it is
/// not finite).
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Num(f64),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Self {
        Cell::Num(x)
    }
}

impl From<usize> for Cell {
    fn from(x: usize) -> Self {
        Cell::Num(x as f64)
    }
}

/// A whole number (a seed): written as an integer by [`number`], exactly
/// below 2⁵³.
impl From<u64> for Cell {
    fn from(x: u64) -> Self {
        Cell::Num(x as f64)
    }
}

/// A flag, written 1 (true) or 0 (false).
impl From<bool> for Cell {
    fn from(x: bool) -> Self {
        Cell::Num(f64::from(u8::from(x)))
    }
}

/// A number's cell, in the shortest form that reads back exactly: whole
/// numbers as integers (`10`, `400000`, not `1e1`), others plain between
/// 10⁻⁴ and 10¹⁵ (`0.05`) and in exponent form beyond (`1e-7`); empty where
/// not finite.
pub fn number(x: f64) -> String {
    match x.abs() {
        a if !a.is_finite() => String::new(),
        a if a < 1e15 && x.fract() == 0.0 => format!("{}", x as i64),
        a if (1e-4..1e15).contains(&a) => format!("{x}"),
        _ => format!("{x:e}"),
    }
}

/// Rows of (column, cell); the columns are the union of the rows' in
/// first-seen order.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub rows: Vec<Vec<(&'static str, Cell)>>,
}

impl Table {
    pub fn push(&mut self, row: Vec<(&'static str, Cell)>) {
        self.rows.push(row);
    }

    pub fn columns(&self) -> Vec<&'static str> {
        let mut columns: Vec<&'static str> = Vec::new();
        for (c, _) in self.rows.iter().flatten() {
            if !columns.contains(c) {
                columns.push(c);
            }
        }
        columns
    }

    /// The CSV bytes (numbers as [`number`] writes them, text quoted where
    /// it needs it).
    pub fn csv(&self) -> Vec<u8> {
        let columns = self.columns();
        let mut w = csv::Writer::from_writer(Vec::new());
        let rows = self.rows.iter().map(|row| {
            columns
                .iter()
                .map(|c| match row.iter().find(|(k, _)| k == c).map(|(_, v)| v) {
                    Some(Cell::Text(s)) => s.clone(),
                    Some(Cell::Num(x)) => number(*x),
                    _ => String::new(),
                })
                .collect::<Vec<String>>()
        });
        // Writing to memory fails only on allocation, which aborts anyway.
        for record in std::iter::once(columns.iter().map(|c| c.to_string()).collect()).chain(rows) {
            w.write_record(&record).expect("writing to memory");
        }
        w.into_inner().expect("writing to memory")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_the_union_of_columns() {
        let mut t = Table::default();
        t.push(vec![("series", "a".into()), ("x", 0.5.into())]);
        t.push(vec![("series", "b".into()), ("y", f64::NAN.into()), ("x", 2usize.into())]);
        t.push(vec![("series", "c, quoted".into())]);
        assert_eq!(t.csv(), b"series,x,y\na,0.5,\nb,2,\n\"c, quoted\",,\n");
    }

    /// Figure CSVs stored T = 10 as `1e1` and n = 400000 as `4e5`.
    #[test]
    fn numbers_read_back_exactly_and_integers_stay_integers() {
        let cases = [(10.0, "10"), (4e5, "400000"), (-3.0, "-3"), (0.0, "0"), (0.05, "0.05"), (1e-7, "1e-7")];
        for (x, text) in cases {
            assert_eq!(number(x), text);
        }
        assert_eq!(number(1e300), "1e300");
        assert_eq!(number(f64::NAN), "");
        for x in [0.1 + 0.2, 1.0 / 3.0, 123456.789, 2f64.powi(52) + 1.0, -1e-300, 9.99e14] {
            assert_eq!(number(x).parse::<f64>().unwrap(), x, "{x}");
        }
    }
}
