//! A figure's data as a tidy table: one row per point, a column per
//! parameter, measurement and prediction; written as CSV.

use std::fmt::Write;

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

    /// The CSV text (numbers in Rust's shortest round-trip form).
    pub fn csv(&self) -> String {
        let columns = self.columns();
        let mut out = columns.join(",");
        out.push('\n');
        for row in &self.rows {
            let cells: Vec<String> = columns
                .iter()
                .map(|c| match row.iter().find(|(k, _)| k == c).map(|(_, v)| v) {
                    Some(Cell::Text(s)) => s.clone(),
                    Some(Cell::Num(x)) if x.is_finite() => format!("{x:e}"),
                    _ => String::new(),
                })
                .collect();
            let _ = writeln!(out, "{}", cells.join(","));
        }
        out
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
        assert_eq!(t.csv(), "series,x,y\na,5e-1,\nb,2e0,\n");
    }
}
