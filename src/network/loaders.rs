//! The user's data (`--data FILE`): CSV and MNIST's IDX files, so that the
//! paper's real-data runs (App. A.2) work on data a user has.
//!
//! * CSV: one point per row, its features then its label (an integer class
//!   0, 1, …), fields separated by commas (quotes around a field are
//!   dropped; a field holds no comma or newline); blank lines are skipped; a
//!   first row with a field that is not a number is a header.
//!   `scripts/export-digits.py` writes scikit-learn's 8×8 digits this way.
//! * IDX (LeCun's MNIST format): an images file of unsigned bytes (n × rows ×
//!   cols, or any n × …), scaled to [0, 1], and a labels file of n bytes.
//!
//! Every problem is one usage error line naming the file (and `file:line`
//! for a malformed CSV row).

use super::data::Dataset;
use crate::error::{usage, Error, Result};
use std::path::{Path, PathBuf};

/// The data set in `path`: IDX images (with their labels file beside them,
/// [`idx_labels_path`]) when the file starts as one, else CSV. `classes`
/// fixes k (labels must be below it); `None` takes k = largest label + 1.
pub fn load(path: &Path, classes: Option<usize>) -> Result<Dataset> {
    let bytes = read(path)?;
    if bytes.len() >= 4 && bytes[..3] == [0, 0, 8] && bytes[3] >= 2 {
        let labels = idx_labels_path(path).ok_or_else(|| {
            usage(format!(
                "{}: IDX images, but no labels file was found beside them (…-labels-idx1-ubyte)",
                path.display()
            ))
        })?;
        return idx(path, &bytes, &labels, &read(&labels)?, classes);
    }
    if bytes.starts_with(&[0, 0, 8, 1]) {
        return Err(usage(format!(
            "{}: an IDX labels file; give the images file (…-images-idx3-ubyte)",
            path.display()
        )));
    }
    csv(path, &bytes, classes)
}

/// A CSV data set from `path` ([`load`]'s CSV rules).
pub fn load_csv(path: &Path, classes: Option<usize>) -> Result<Dataset> {
    csv(path, &read(path)?, classes)
}

/// An IDX data set from an images file and a labels file ([`load`]'s IDX rules).
pub fn load_idx(images: &Path, labels: &Path, classes: Option<usize>) -> Result<Dataset> {
    idx(images, &read(images)?, labels, &read(labels)?, classes)
}

/// The labels file beside an IDX images file, by MNIST's naming
/// (`train-images-idx3-ubyte` → `train-labels-idx1-ubyte`, `.` separators
/// too), where it exists.
pub fn idx_labels_path(images: &Path) -> Option<PathBuf> {
    let name = images.file_name()?.to_str()?;
    ["-images-idx3-", "-images.idx3-", "-images-idx3.", "-images.idx3."].iter().find_map(|from| {
        let to = from.replace("images", "labels").replace("idx3", "idx1");
        let path = images.with_file_name(name.replacen(from, &to, 1));
        (name.contains(from) && path.is_file()).then_some(path)
    })
}

fn read(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(usage(format!("{}: gzip-compressed; decompress it first (gunzip)", path.display())));
    }
    Ok(bytes)
}

/// A usage error at `path:line`.
fn at(path: &Path, line: u64, what: impl std::fmt::Display) -> Error {
    usage(format!("{}:{line}: {what}", path.display()))
}

/// k from the labels seen (largest + 1) or the one given, checked.
fn class_count(
    path: &Path,
    labels: &[u32],
    classes: Option<usize>,
    line_of: impl Fn(usize) -> String,
) -> Result<usize> {
    let top = labels.iter().copied().max().unwrap_or(0) as usize;
    match classes {
        Some(k) => match labels.iter().position(|&y| y as usize >= k) {
            Some(j) => Err(usage(format!("{}: label {} is not below --classes {k}", line_of(j), labels[j]))),
            None => Ok(k),
        },
        None if top == 0 => {
            Err(usage(format!("{}: every label is 0; a data set needs at least 2 classes", path.display())))
        }
        None => Ok(top + 1),
    }
}

fn csv(path: &Path, bytes: &[u8], classes: Option<usize>) -> Result<Dataset> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
        at(path, line as u64, "not UTF-8 text")
    })?;
    let (mut features, mut labels, mut lines) = (Vec::new(), Vec::new(), Vec::new());
    let mut width = None;
    for (line, row) in (1..).zip(text.lines()) {
        if row.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = row.split(',').map(|f| f.trim().trim_matches('"').trim()).collect();
        let numbers: Vec<Option<f64>> = fields.iter().map(|f| f.parse::<f64>().ok()).collect();
        if width.is_none() && numbers.iter().any(Option::is_none) {
            width = Some(fields.len()); // a header
            continue;
        }
        let w = *width.get_or_insert(fields.len());
        if w < 2 {
            return Err(at(path, line, "a row needs at least one feature and a label"));
        }
        if fields.len() != w {
            return Err(at(path, line, format!("{} fields, where the first row has {w}", fields.len())));
        }
        for (c, (text, x)) in fields[..w - 1].iter().zip(&numbers).enumerate() {
            match x {
                Some(x) if x.is_finite() => features.push(*x),
                _ => return Err(at(path, line, format!("feature {} is '{text}', not a finite number", c + 1))),
            }
        }
        let label = fields[w - 1];
        let y = label.parse::<u32>().map_err(|_| at(path, line, format!("label '{label}' is not a class 0, 1, …")))?;
        labels.push(y);
        lines.push(line);
    }
    let Some(w) = width.filter(|_| !labels.is_empty()) else {
        return Err(usage(format!("{}: no data rows", path.display())));
    };
    let k = class_count(path, &labels, classes, |j| format!("{}:{}", path.display(), lines[j]))?;
    Dataset::new(w - 1, k, features, labels)
}

/// An IDX file's dimensions and its data, checked to be unsigned bytes of
/// `dims` dimensions (images: 2 or more, labels: 1) and complete.
fn idx_payload<'a>(path: &Path, bytes: &'a [u8], images: bool) -> Result<(Vec<usize>, &'a [u8])> {
    let bad = |what: &str| usage(format!("{}: {what}", path.display()));
    if bytes.len() < 4 || bytes[..2] != [0, 0] {
        return Err(bad("not an IDX file (it does not start with two zero bytes)"));
    }
    if bytes[2] != 8 {
        return Err(bad(&format!("IDX data of type 0x{:02x}; only unsigned bytes (0x08) are read", bytes[2])));
    }
    let rank = bytes[3] as usize;
    if (images && rank < 2) || (!images && rank != 1) {
        let want = if images { "images of 2 or more" } else { "labels of 1" };
        return Err(bad(&format!("an IDX file of {rank} dimensions, where {want} are expected")));
    }
    let header = 4 + 4 * rank;
    if bytes.len() < header {
        return Err(bad("truncated IDX header"));
    }
    let dims: Vec<usize> =
        bytes[4..header].chunks_exact(4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize).collect();
    let size = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if size != Some(bytes.len() - header) {
        return Err(bad(&format!(
            "{} data bytes where the header's dimensions {dims:?} say {size:?}",
            bytes.len() - header
        )));
    }
    Ok((dims, &bytes[header..]))
}

fn idx(path: &Path, bytes: &[u8], labels_path: &Path, labels: &[u8], classes: Option<usize>) -> Result<Dataset> {
    let (dims, pixels) = idx_payload(path, bytes, true)?;
    let (ldims, labels) = idx_payload(labels_path, labels, false)?;
    if ldims[0] != dims[0] {
        return Err(usage(format!(
            "{} has {} images, {} {} labels",
            path.display(),
            dims[0],
            labels_path.display(),
            ldims[0]
        )));
    }
    let labels: Vec<u32> = labels.iter().map(|&y| y as u32).collect();
    let k = class_count(labels_path, &labels, classes, |j| format!("{}: item {j}", labels_path.display()))?;
    let d = dims[1..].iter().product();
    Dataset::new(d, k, pixels.iter().map(|&b| b as f64 / 255.0).collect(), labels)
        .map_err(|e| usage(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch directory of this test process.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("simsgd-loaders-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn csv_rows_with_and_without_header() {
        let dir = scratch("csv");
        let a = write(&dir, "a.csv", b"\"x1\",\"x2\",\"label\"\r\n0.5, -1e-3 ,2\r\n\n3,4,\"0\"\n");
        let d = load(&a, None).unwrap();
        assert_eq!((d.len(), d.dim(), d.classes()), (2, 2, 3));
        assert_eq!((d.features(), d.labels()), (&[0.5, -1e-3, 3.0, 4.0][..], &[2, 0][..]));
        let b = write(&dir, "b.csv", b"1,2,1\n3,4,0\n");
        assert_eq!(load_csv(&b, Some(5)).unwrap().classes(), 5);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn malformed_csv_is_one_line_with_its_place() {
        let dir = scratch("bad-csv");
        let d = dir.display();
        let cases: [(&str, &[u8], String); 9] = [
            ("fields.csv", b"1,2,0\n1,1\n", format!("{d}/fields.csv:2: 2 fields, where the first row has 3")),
            ("nan.csv", b"h,h,y\n1,nan,0\n", format!("{d}/nan.csv:2: feature 2 is 'nan', not a finite number")),
            ("word.csv", b"1,2,0\n1,x,1\n", format!("{d}/word.csv:2: feature 2 is 'x', not a finite number")),
            ("label.csv", b"1,2,0\n1,2,1.5\n", format!("{d}/label.csv:2: label '1.5' is not a class 0, 1, …")),
            ("neg.csv", b"1,2,0\n\n1,2,-1\n", format!("{d}/neg.csv:3: label '-1' is not a class 0, 1, …")),
            (
                "one.csv",
                b"1,2,0\n3,4,0\n",
                format!("{d}/one.csv: every label is 0; a data set needs at least 2 classes"),
            ),
            ("empty.csv", b"a,b,label\n", format!("{d}/empty.csv: no data rows")),
            ("narrow.csv", b"0\n1\n", format!("{d}/narrow.csv:1: a row needs at least one feature and a label")),
            ("bytes.csv", b"1,2,0\n1,\xff,1\n", format!("{d}/bytes.csv:2: not UTF-8 text")),
        ];
        for (name, text, want) in cases {
            let path = write(&dir, name, text);
            assert_eq!(load(&path, None).unwrap_err().to_string(), want);
        }
        let path = write(&dir, "k.csv", b"1,2,0\n1,2,7\n");
        assert_eq!(
            load(&path, Some(3)).unwrap_err().to_string(),
            format!("{d}/k.csv:2: label 7 is not below --classes 3")
        );
        let missing = dir.join("missing.csv");
        assert_eq!(
            load(&missing, None).unwrap_err().to_string(),
            format!("{d}/missing.csv: No such file or directory (os error 2)")
        );
        let gz = write(&dir, "x.csv.gz", &[0x1f, 0x8b, 8, 0]);
        assert_eq!(
            load(&gz, None).unwrap_err().to_string(),
            format!("{d}/x.csv.gz: gzip-compressed; decompress it first (gunzip)")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// An IDX file of unsigned bytes with these dimensions.
    fn idx_file(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut b = vec![0, 0, 8, dims.len() as u8];
        dims.iter().for_each(|d| b.extend(d.to_be_bytes()));
        b.extend(data);
        b
    }

    #[test]
    fn idx_images_are_scaled_and_labelled() {
        let dir = scratch("idx");
        let images =
            write(&dir, "train-images-idx3-ubyte", &idx_file(&[3, 2, 2], &[0, 255, 51, 0, 1, 2, 3, 4, 9, 9, 9, 9]));
        write(&dir, "train-labels-idx1-ubyte", &idx_file(&[3], &[1, 0, 9]));
        let d = load(&images, None).unwrap();
        assert_eq!((d.len(), d.dim(), d.classes()), (3, 4, 10));
        assert_eq!(d.point(0), [0.0, 1.0, 0.2, 0.0]);
        assert_eq!(d.labels(), [1, 0, 9]);
        let dd = dir.display();
        let lone = write(&dir, "lone-images.idx3-ubyte", &idx_file(&[1, 1, 1], &[0]));
        assert_eq!(
            load(&lone, None).unwrap_err().to_string(),
            format!("{dd}/lone-images.idx3-ubyte: IDX images, but no labels file was found beside them (…-labels-idx1-ubyte)")
        );
        let labels = |name: &str, l: &[u8]| write(&dir, name, l);
        let short = write(&dir, "short", &idx_file(&[2, 2, 2], &[0; 7]));
        let cases = [
            (
                &short,
                labels("a", &idx_file(&[2], &[0, 1])),
                format!("{dd}/short: 7 data bytes where the header's dimensions [2, 2, 2] say Some(8)"),
            ),
            (
                &images,
                labels("b", &idx_file(&[2], &[0, 1])),
                format!("{dd}/train-images-idx3-ubyte has 3 images, {dd}/b 2 labels"),
            ),
            (
                &images,
                labels("c", &[0, 0, 0x0d, 1, 0, 0, 0, 3]),
                format!("{dd}/c: IDX data of type 0x0d; only unsigned bytes (0x08) are read"),
            ),
            (
                &images,
                labels("d", &idx_file(&[3, 1], &[0, 1, 2])),
                format!("{dd}/d: an IDX file of 2 dimensions, where labels of 1 are expected"),
            ),
            (
                &images,
                labels("e", b"x,y\n"),
                format!("{dd}/e: not an IDX file (it does not start with two zero bytes)"),
            ),
        ];
        for (images, labels, want) in cases {
            assert_eq!(load_idx(images, &labels, None).unwrap_err().to_string(), want);
        }
        let l = labels("f", &idx_file(&[3], &[1, 0, 12]));
        assert_eq!(
            load_idx(&images, &l, Some(10)).unwrap_err().to_string(),
            format!("{dd}/f: item 2: label 12 is not below --classes 10")
        );
        let given = write(&dir, "given", &idx_file(&[3], &[1, 0, 2]));
        assert_eq!(
            load(&given, None).unwrap_err().to_string(),
            format!("{dd}/given: an IDX labels file; give the images file (…-images-idx3-ubyte)")
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
