//! The library's module graph has no cycles.
//!
//! Every `.rs` file under `src/` is a module (`src/a/b.rs` is `crate::a::b`,
//! `src/a/mod.rs` is `crate::a`, `src/lib.rs` the crate root; `src/main.rs`
//! and `src/bin/` are other crates and left out). A module depends on another
//! where its code names it:
//!
//! * `use` trees (`use crate::…`, `use super::…`, `use self::…`, and paths
//!   that start at a child module or at a name a `use` bound), groups and
//!   renames included;
//! * paths in code: `crate::x::y`, `$crate::…`, `super::…`, `self::…`, and
//!   paths that start at a child module or at a name a `use` bound.
//!
//! Each path resolves to the longest prefix that is a module, so naming
//! `crate::a::Thing` is a dependency on `crate::a` (`src/a/mod.rs`), whether
//! `Thing` is defined there or re-exported from a child. Declaring `mod x;` is
//! not a dependency, but naming a child is (listing its items, re-exporting
//! them), so a parent that lists its children and a child that uses its
//! parent's items are a cycle like any other: shared items live in a sibling
//! module both name (`landscape::definition`, `figure::lab`, `plot::chart`).
//! Comments, string and character literals,
//! and items under `#[cfg(test)]` (the `mod tests` blocks and test-only module
//! files) are ignored. Inline modules (`mod x { … }`) belong to their file's
//! module, with `super` and `self` resolved inside them.
//!
//! On failure the test prints every elementary cycle, each edge with the file,
//! line and path it comes from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module path below the crate root (`[]` is the root).
type ModPath = Vec<String>;

fn display(m: &[String]) -> String {
    std::iter::once("crate").chain(m.iter().map(String::as_str)).collect::<Vec<_>>().join("::")
}

/// Where an edge comes from: file, line and the path as written.
#[derive(Clone, Debug)]
struct Evidence {
    file: String,
    line: usize,
    path: String,
}

/// The dependency graph: module → module → the first place it is named.
type Graph = BTreeMap<ModPath, BTreeMap<ModPath, Evidence>>;

// ---------------------------------------------------------------------------
// Lexing: comments and literals out, then tokens with line numbers.

/// The source with comments and the contents of string and character
/// literals replaced by spaces (newlines kept, so lines stay where they were).
fn strip(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |ch: char| if ch == '\n' { '\n' } else { ' ' };
    let is_ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            // Block comments nest.
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
        } else if c[i] == '"' {
            // A raw string if the token before the quote is r#…# or br#…#.
            let mut j = i;
            while j > 0 && c[j - 1] == '#' {
                j -= 1;
            }
            let hashes = i - j;
            let raw = j > 0
                && c[j - 1] == 'r'
                && (j == 1 || !is_ident(c[j - 2]) || (c[j - 2] == 'b' && (j == 2 || !is_ident(c[j - 3]))));
            out.push('"');
            i += 1;
            while i < c.len() {
                if raw {
                    if c[i] == '"' && c[i + 1..].iter().take(hashes).filter(|&&h| h == '#').count() == hashes {
                        break;
                    }
                } else if c[i] == '\\' {
                    out.push(' ');
                    i += 1;
                    if i < c.len() {
                        out.push(blank(c[i]));
                        i += 1;
                    }
                    continue;
                } else if c[i] == '"' {
                    break;
                }
                out.push(blank(c[i]));
                i += 1;
            }
            if i < c.len() {
                out.push('"');
                i += 1;
            }
        } else if c[i] == '\'' && (next == Some('\\') || c.get(i + 2) == Some(&'\'')) {
            // A character literal ('x', '\n', '\u{..}'); otherwise a lifetime.
            out.push('\'');
            i += 1;
            if c.get(i) == Some(&'\\') {
                out.push(' ');
                i += 1;
            }
            while i < c.len() && c[i] != '\'' {
                out.push(blank(c[i]));
                i += 1;
            }
            if i < c.len() {
                out.push('\'');
                i += 1;
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq)]
struct Token {
    text: String,
    line: usize,
}

/// Identifiers (`$crate` as `crate`, `r#x` as `x`), `::`, and single punctuation.
fn tokens(stripped: &str) -> Vec<Token> {
    let c: Vec<char> = stripped.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch.is_alphanumeric() || ch == '_' {
            // A raw identifier r#name is the name.
            let raw =
                ch == 'r' && c.get(i + 1) == Some(&'#') && c.get(i + 2).is_some_and(|x| x.is_alphabetic() || *x == '_');
            let start = if raw { i + 2 } else { i };
            i = start;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(Token { text: c[start..i].iter().collect(), line });
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push(Token { text: "::".into(), line });
            i += 2;
        } else if ch == '$'
            && c[i + 1..].starts_with(&['c', 'r', 'a', 't', 'e'])
            && !c.get(i + 6).is_some_and(|x| x.is_alphanumeric() || *x == '_')
        {
            out.push(Token { text: "crate".into(), line });
            i += 6;
        } else {
            out.push(Token { text: ch.to_string(), line });
            i += 1;
        }
    }
    out
}

fn is_ident(t: &str) -> bool {
    t.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// The index just past the item starting at `start`: its `;` at depth 0, or
/// the `}` that closes its first brace at depth 0.
fn item_end(t: &[Token], start: usize) -> usize {
    let mut depth = 0i32;
    let mut i = start;
    while i < t.len() {
        match t[i].text.as_str() {
            "(" | "[" => depth += 1,
            ")" | "]" => depth -= 1,
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            ";" if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    t.len()
}

/// The index just past the attribute `#[…]` (or `#![…]`) starting at `start`.
fn attribute_end(t: &[Token], start: usize) -> Option<usize> {
    let mut i = start + 1;
    if t.get(i)?.text == "!" {
        i += 1;
    }
    if t.get(i)?.text != "[" {
        return None;
    }
    let mut depth = 0;
    while i < t.len() {
        match t[i].text.as_str() {
            "[" => depth += 1,
            "]" => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Whether the item whose keyword is at `at` is `pub` (with any restriction).
fn is_pub(t: &[Token], at: usize) -> bool {
    let mut i = at;
    if i > 0 && t[i - 1].text == ")" {
        while i > 0 && t[i - 1].text != "(" {
            i -= 1;
        }
        i = i.saturating_sub(1);
    }
    i > 0 && t[i - 1].text == "pub"
}

/// Removes every item under `#[cfg(test)]`; returns the remaining tokens and
/// the names of test-only child module files (`#[cfg(test)] mod x;`).
fn drop_test_items(t: Vec<Token>) -> (Vec<Token>, Vec<String>) {
    let cfg_test = ["#", "[", "cfg", "(", "test", ")", "]"];
    let mut out = Vec::with_capacity(t.len());
    let mut test_modules = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let matches =
            t.len() - i >= cfg_test.len() && t[i..i + cfg_test.len()].iter().zip(cfg_test).all(|(a, b)| a.text == b);
        if !matches {
            out.push(t[i].clone());
            i += 1;
            continue;
        }
        // Skip further attributes, then the item.
        let mut j = i + cfg_test.len();
        while j < t.len() && t[j].text == "#" {
            match attribute_end(&t, j) {
                Some(end) => j = end,
                None => break,
            }
        }
        let mut k = j;
        if t.get(k).is_some_and(|x| x.text == "pub") {
            k += 1;
            if t.get(k).is_some_and(|x| x.text == "(") {
                while k < t.len() && t[k].text != ")" {
                    k += 1;
                }
                k += 1;
            }
        }
        if t.get(k).is_some_and(|x| x.text == "mod") && t.get(k + 2).is_some_and(|x| x.text == ";") {
            test_modules.push(t[k + 1].text.clone());
        }
        i = item_end(&t, j);
    }
    (out, test_modules)
}

// ---------------------------------------------------------------------------
// Paths.

/// One leaf of a `use` tree: its path and the name it binds (none for globs).
#[derive(Debug, PartialEq)]
struct UseLeaf {
    path: Vec<String>,
    binds: Option<String>,
}

/// Parses the use tree in `t` (the tokens between `use` and `;`).
fn use_leaves(t: &[Token]) -> Vec<UseLeaf> {
    fn tree(t: &[Token], i: &mut usize, prefix: &[String], out: &mut Vec<UseLeaf>) {
        let mut path = prefix.to_vec();
        loop {
            match t.get(*i).map(|x| x.text.as_str()) {
                Some("{") => {
                    *i += 1;
                    while t.get(*i).is_some_and(|x| x.text != "}") {
                        tree(t, i, &path, out);
                        if t.get(*i).is_some_and(|x| x.text == ",") {
                            *i += 1;
                        }
                    }
                    *i += 1;
                    return;
                }
                Some("*") => {
                    *i += 1;
                    out.push(UseLeaf { path, binds: None });
                    return;
                }
                Some(s) if is_ident(s) => {
                    path.push(s.to_string());
                    *i += 1;
                    if t.get(*i).is_some_and(|x| x.text == "::") {
                        *i += 1;
                        continue;
                    }
                    // `a::{self}` names `a`.
                    if path.last().is_some_and(|s| s == "self") && path.len() > 1 {
                        path.pop();
                    }
                    let mut binds = path.last().cloned();
                    if t.get(*i).is_some_and(|x| x.text == "as") {
                        binds = t.get(*i + 1).map(|x| x.text.clone()).filter(|b| b != "_");
                        *i += 2;
                    }
                    out.push(UseLeaf { path, binds });
                    return;
                }
                _ => {
                    // Something unexpected: skip it rather than loop.
                    *i += 1;
                    return;
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    // A leading `::` names an external crate.
    if t.first().is_some_and(|x| x.text == "::") {
        return out;
    }
    while i < t.len() {
        tree(t, &mut i, &[], &mut out);
        if t.get(i).is_some_and(|x| x.text == ",") {
            i += 1;
        }
    }
    out
}

/// The crate's modules.
struct Crate {
    modules: BTreeSet<ModPath>,
}

impl Crate {
    /// `path` as written in module `at` (with `aliases` bound by `use`) made
    /// absolute, or `None` for external crates, locals and unknown names.
    fn absolute(&self, at: &[String], path: &[String], aliases: &BTreeMap<String, Vec<ModPath>>) -> Vec<ModPath> {
        let Some(first) = path.first() else { return Vec::new() };
        match first.as_str() {
            "crate" => vec![path[1..].to_vec()],
            "self" => vec![at.iter().chain(&path[1..]).cloned().collect()],
            "super" => {
                let supers = path.iter().take_while(|s| *s == "super").count();
                if supers > at.len() {
                    return Vec::new();
                }
                vec![at[..at.len() - supers].iter().chain(&path[supers..]).cloned().collect()]
            }
            _ => {
                let child: ModPath = at.iter().chain(std::iter::once(first)).cloned().collect();
                if self.modules.contains(&child) {
                    return vec![at.iter().chain(path).cloned().collect()];
                }
                aliases
                    .get(first)
                    .into_iter()
                    .flatten()
                    .map(|target| target.iter().chain(&path[1..]).cloned().collect())
                    .collect()
            }
        }
    }

    /// The longest prefix of `path` that is a module.
    fn module_of(&self, path: &[String]) -> ModPath {
        (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| self.modules.contains(p)).unwrap_or_default()
    }
}

/// A file of the crate: its module and its source.
struct File {
    name: String,
    module: ModPath,
    source: String,
}

/// The module of a file path relative to `src/`, or `None` outside the library.
fn module_of_file(relative: &str) -> Option<ModPath> {
    let parts: Vec<&str> = relative.split('/').collect();
    let stem = parts.last()?.strip_suffix(".rs")?;
    if parts.len() == 1 && stem == "main" || parts.first() == Some(&"bin") {
        return None;
    }
    let mut m: ModPath = parts[..parts.len() - 1].iter().map(|s| s.to_string()).collect();
    if !(parts.len() == 1 && stem == "lib" || stem == "mod") {
        m.push(stem.to_string());
    }
    Some(m)
}

/// The dependency graph of `files`.
fn graph(files: &[File]) -> Graph {
    let krate = Crate { modules: files.iter().map(|f| f.module.clone()).collect() };
    let mut lexed: Vec<(&File, Vec<Token>)> = Vec::new();
    let mut test_only: BTreeSet<ModPath> = BTreeSet::new();
    for f in files {
        let (t, tests) = drop_test_items(tokens(&strip(&f.source)));
        test_only.extend(tests.into_iter().map(|m| f.module.iter().cloned().chain(std::iter::once(m)).collect()));
        lexed.push((f, t));
    }
    // Test-only module files, and everything below them.
    let is_test_only = |m: &ModPath| test_only.iter().any(|t| m.starts_with(t));
    let mut g: Graph = BTreeMap::new();
    for (f, t) in lexed {
        if is_test_only(&f.module) {
            continue;
        }
        let edges = g.entry(f.module.clone()).or_default();
        // The module each token is in (inline `mod x { … }` nest), and the
        // `use` statements, in order.
        let mut scope_at = vec![f.module.clone(); t.len()];
        let mut stack: Vec<(ModPath, i32)> = vec![(f.module.clone(), 0)];
        let mut depth = 0;
        // `use` statements: first token, end, and whether they re-export.
        let mut uses: Vec<(usize, usize, bool)> = Vec::new();
        let mut i = 0;
        while i < t.len() {
            scope_at[i] = stack.last().unwrap().0.clone();
            match t[i].text.as_str() {
                "{" => depth += 1,
                "}" => {
                    depth -= 1;
                    if stack.len() > 1 && stack.last().unwrap().1 == depth {
                        stack.pop();
                    }
                }
                "mod"
                    if t.get(i + 2).is_some_and(|x| x.text == "{")
                        && t.get(i + 1).is_some_and(|x| is_ident(&x.text)) =>
                {
                    let inner = stack.last().unwrap().0.iter().cloned().chain(std::iter::once(t[i + 1].text.clone()));
                    stack.push((inner.collect(), depth));
                }
                "use" if i == 0 || t[i - 1].text != "::" => {
                    let end = item_end(&t, i);
                    uses.push((i, end, is_pub(&t, i)));
                    for s in &mut scope_at[i..end] {
                        *s = stack.last().unwrap().0.clone();
                    }
                    i = end;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        // Every module named is a dependency, a module's own children
        // included: a parent that names a child and a child that names its
        // parent are a cycle like any other.
        let add = |edges: &mut BTreeMap<ModPath, Evidence>, target: ModPath, line: usize, path: &[String]| {
            if target != f.module {
                edges.entry(target).or_insert_with(|| Evidence { file: f.name.clone(), line, path: path.join("::") });
            }
        };
        // `use` trees first: they bind the names later paths start from.
        let mut aliases: BTreeMap<String, Vec<ModPath>> = BTreeMap::new();
        let mut in_use = vec![false; t.len()];
        for round in 0..2 {
            // Two rounds, so that a `use` may start at a name a later one binds.
            for &(start, end, _) in &uses {
                in_use[start..end].iter_mut().for_each(|x| *x = true);
                let at = &scope_at[start];
                for leaf in use_leaves(&t[start + 1..end - 1]) {
                    for absolute in krate.absolute(at, &leaf.path, &aliases) {
                        if round == 1 {
                            add(edges, krate.module_of(&absolute), t[start].line, &leaf.path);
                        }
                        if let Some(name) = &leaf.binds {
                            let bound = aliases.entry(name.clone()).or_default();
                            if !bound.contains(&absolute) {
                                bound.push(absolute);
                            }
                        }
                    }
                }
            }
        }
        // Paths in code: a name followed by `::`, not itself after `::`.
        let mut i = 0;
        while i < t.len() {
            let starts_path = !in_use[i]
                && is_ident(&t[i].text)
                && t.get(i + 1).is_some_and(|x| x.text == "::")
                && (i == 0 || t[i - 1].text != "::")
                && !(i >= 2 && t[i - 1].text == "in" && t[i - 2].text == "(");
            if !starts_path {
                i += 1;
                continue;
            }
            let mut path = vec![t[i].text.clone()];
            let mut j = i + 1;
            while t.get(j).is_some_and(|x| x.text == "::") && t.get(j + 1).is_some_and(|x| is_ident(&x.text)) {
                path.push(t[j + 1].text.clone());
                j += 2;
            }
            for absolute in krate.absolute(&scope_at[i], &path, &aliases) {
                add(edges, krate.module_of(&absolute), t[i].line, &path);
            }
            i = j;
        }
    }
    g
}

// ---------------------------------------------------------------------------
// Cycles.

/// Strongly connected components (Tarjan), each sorted, in a fixed order.
fn components(g: &Graph) -> Vec<Vec<ModPath>> {
    struct State<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on_stack: BTreeSet<&'a ModPath>,
        out: Vec<Vec<ModPath>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a ModPath) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.g.get(v).into_iter().flat_map(|e| e.keys()) {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                s.low.entry(v).and_modify(|l| *l = (*l).min(lw));
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                s.low.entry(v).and_modify(|l| *l = (*l).min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            loop {
                let w = s.stack.pop().expect("on the stack");
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            component.sort();
            s.out.push(component);
        }
    }
    let mut s = State {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out.sort();
    s.out
}

/// At most this many cycles are listed.
const MAX_CYCLES: usize = 500;

/// Every elementary cycle (each from its smallest module), in a fixed order.
fn cycles(g: &Graph) -> Vec<Vec<ModPath>> {
    let mut out = Vec::new();
    for component in components(g).into_iter().filter(|c| c.len() > 1) {
        let members: BTreeSet<&ModPath> = component.iter().collect();
        for start in &component {
            // Paths from `start` through larger members back to `start`.
            let mut path = vec![start.clone()];
            let mut stack: Vec<Vec<&ModPath>> = vec![next(g, start, start, &members)];
            while let Some(options) = stack.last_mut() {
                let Some(w) = options.pop() else {
                    stack.pop();
                    path.pop();
                    continue;
                };
                if w == start {
                    let mut cycle = path.clone();
                    cycle.push(start.clone());
                    out.push(cycle);
                    if out.len() >= MAX_CYCLES {
                        return out;
                    }
                } else if !path.contains(w) {
                    path.push(w.clone());
                    stack.push(next(g, w, start, &members));
                }
            }
        }
    }
    out
}

/// The successors of `v` in the component that may continue a cycle from
/// `start` (`start` itself, or members after it), last first.
fn next<'a>(g: &'a Graph, v: &ModPath, start: &ModPath, members: &BTreeSet<&ModPath>) -> Vec<&'a ModPath> {
    let mut out: Vec<&ModPath> =
        g.get(v).into_iter().flat_map(|e| e.keys()).filter(|w| members.contains(w) && *w >= start).collect();
    out.reverse();
    out
}

fn describe(g: &Graph, cycles: &[Vec<ModPath>]) -> String {
    let mut s = String::new();
    for (n, cycle) in cycles.iter().enumerate() {
        let names: Vec<String> = cycle.iter().map(|m| display(m)).collect();
        s += &format!("cycle {}: {}\n", n + 1, names.join(" → "));
        for pair in cycle.windows(2) {
            let e = &g[&pair[0]][&pair[1]];
            s += &format!(
                "    {} → {}: {}:{} names `{}`\n",
                display(&pair[0]),
                display(&pair[1]),
                e.file,
                e.line,
                e.path
            );
        }
    }
    if cycles.len() >= MAX_CYCLES {
        s += &format!("(listing stopped at {MAX_CYCLES} cycles)\n");
    }
    s
}

/// Every `.rs` file under `dir`, as (path relative to `root`, source), sorted.
fn sources(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            sources(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push((relative, source));
        }
    }
}

fn files(sources: &[(&str, &str)]) -> Vec<File> {
    sources
        .iter()
        .filter_map(|(name, source)| {
            Some(File { name: format!("src/{name}"), module: module_of_file(name)?, source: source.to_string() })
        })
        .collect()
}

fn crate_graph() -> Graph {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    sources(&root, &root, &mut found);
    let borrowed: Vec<(&str, &str)> = found.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect();
    graph(&files(&borrowed))
}

fn module(path: &str) -> ModPath {
    path.split("::").skip(1).map(String::from).collect()
}

/// The edges of `g` as `crate::a → crate::b` lines, sorted.
fn edges(g: &Graph) -> Vec<String> {
    g.iter().flat_map(|(a, e)| e.keys().map(move |b| format!("{} → {}", display(a), display(b)))).collect()
}

#[test]
fn module_graph_is_acyclic() {
    let g = crate_graph();
    // The analysis sees the crate: every file a module, and edges that
    // certainly exist.
    assert!(g.contains_key(&module("crate::theory::predict")) && g.contains_key(&module("crate")), "{:?}", g.keys());
    let all = edges(&g);
    for known in ["crate::theory::predict → crate::theory::law", "crate::theory::embedding → crate::theory::diagram"]
    {
        assert!(all.iter().any(|e| e == known), "missing edge {known}; found:\n{}", all.join("\n"));
    }
    let found = cycles(&g);
    assert!(found.is_empty(), "the module graph has {} cycle(s):\n{}", found.len(), describe(&g, &found));
}

/// The graph of an in-memory crate.
fn graph_of(sources: &[(&str, &str)]) -> Graph {
    graph(&files(sources))
}

#[test]
fn paths_resolve_to_the_longest_module_prefix() {
    let g = graph_of(&[
        ("lib.rs", "pub mod a; pub mod b; pub mod c; pub use a::Thing;"),
        ("a/mod.rs", "mod inner; pub use inner::Thing;"),
        ("a/inner.rs", "use super::super::b::{self, x::Y as Z};\npub struct Thing;"),
        ("b/mod.rs", "pub mod x; pub fn f() { let _ = crate::c::g(); }"),
        ("b/x.rs", "pub struct Y;"),
        ("c.rs", "pub fn g() -> u8 { self::h() } fn h() -> u8 { 0 }"),
    ]);
    let want = [
        "crate → crate::a",
        "crate::a → crate::a::inner",
        "crate::a::inner → crate::b",
        "crate::a::inner → crate::b::x",
        "crate::b → crate::c",
    ];
    assert_eq!(edges(&g), want);
    assert!(cycles(&g).is_empty());
}

#[test]
fn a_parent_that_names_its_children_depends_on_them() {
    let g = graph_of(&[
        ("lib.rs", "pub mod facade; pub mod registry; pub mod user;"),
        ("registry/mod.rs", "pub mod one; use one::One;\npub trait Shape {}\npub fn all() { one::One::new(); }"),
        ("registry/one.rs", "use super::Shape;\npub struct One;"),
        ("facade/mod.rs", "mod part;\npub use part::Part;\npub struct Helper;"),
        ("facade/part.rs", "use crate::user::u;\npub struct Part;"),
        ("user.rs", "pub fn u() {}\nfn v() -> crate::facade::Part { todo!() }"),
    ]);
    let want = [
        "crate::facade → crate::facade::part",
        "crate::facade::part → crate::user",
        "crate::registry → crate::registry::one",
        "crate::registry::one → crate::registry",
        "crate::user → crate::facade",
    ];
    assert_eq!(edges(&g), want);
    let found: Vec<String> =
        cycles(&g).iter().map(|c| c.iter().map(|m| display(m)).collect::<Vec<_>>().join(" → ")).collect();
    assert_eq!(
        found,
        [
            "crate::facade → crate::facade::part → crate::user → crate::facade",
            "crate::registry → crate::registry::one → crate::registry"
        ]
    );
}

#[test]
fn declarations_comments_literals_and_tests_are_not_dependencies() {
    let g = graph_of(&[
        ("lib.rs", "pub mod a; pub mod b;"),
        ("a/mod.rs", "pub mod child; #[cfg(test)] mod tests;\npub fn f() {}"),
        (
            "a/child.rs",
            "use super::f; // crate::b::nope\n/* crate::b /* nested */ crate::b */ const S: &str = \"crate::b::x\";",
        ),
        ("a/tests.rs", "use crate::b;"),
        (
            "b.rs",
            "const R: &str = r#\"crate::a \" \"#; const C: char = '\"'; fn l<'a>(x: &'a str) -> &'a str { x }\n\
             #[cfg(test)]\nmod tests {\n    use crate::a::f;\n    #[test] fn t() { crate::a::child::g() }\n}",
        ),
    ]);
    assert_eq!(edges(&g), ["crate::a::child → crate::a"]);
}

#[test]
fn cycles_are_all_listed_with_where_they_come_from() {
    let g = graph_of(&[
        ("lib.rs", "pub mod a; pub mod b; pub mod c;"),
        ("a.rs", "use crate::b::X;"),
        ("b.rs", "pub struct X; fn f() { crate::a::g(); crate::c::h(); }"),
        ("c.rs", "use crate::{a, b};\nfn h() { a::g() }"),
    ]);
    let found = cycles(&g);
    let names: Vec<Vec<String>> = found.iter().map(|c| c.iter().map(|m| display(m)).collect()).collect();
    assert_eq!(
        names,
        [
            vec!["crate::a", "crate::b", "crate::a"],
            vec!["crate::a", "crate::b", "crate::c", "crate::a"],
            vec!["crate::b", "crate::c", "crate::b"],
        ]
    );
    let text = describe(&g, &found);
    assert!(text.contains("crate::c → crate::a: src/c.rs:1 names `crate::a`"), "{text}");
}

#[test]
fn inline_modules_and_aliases() {
    let g = graph_of(&[
        ("lib.rs", "pub mod a; pub mod b;"),
        ("a.rs", "mod inner { use super::super::b as other; fn f() { other::g() } }"),
        ("b/mod.rs", "pub mod deep; pub fn g() {}"),
        ("b/deep.rs", "use crate::a as top; fn k() { let _ = top::X; }"),
    ]);
    assert_eq!(edges(&g), ["crate::a → crate::b", "crate::b::deep → crate::a"]);
}
