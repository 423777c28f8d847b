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

    /// The CSV bytes (numbers in Rust's shortest round-trip form, quoted
    /// where a text cell needs it).
    pub fn csv(&self) -> Vec<u8> {
        let columns = self.columns();
        let mut w = csv::Writer::from_writer(Vec::new());
        let rows = self.rows.iter().map(|row| {
            columns
                .iter()
                .map(|c| match row.iter().find(|(k, _)| k == c).map(|(_, v)| v) {
                    Some(Cell::Text(s)) => s.clone(),
                    Some(Cell::Num(x)) if x.is_finite() => format!("{x:e}"),
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
        assert_eq!(t.csv(), b"series,x,y\na,5e-1,\nb,2e0,\n\"c, quoted\",,\n");
    }
}
