//! The expression graph of a formula: hash-consed nodes (so a repeated
//! subexpression is one node and every derivative reuses what it can),
//! simplified as they are built, differentiated symbolically, and with the
//! degree of the expression as a polynomial in the sample x.

use num_dual::DualNum;
use std::collections::HashMap;

/// A node's index in its [`Graph`]: children always have smaller ids, so id
/// order is a topological order.
pub type Id = u32;

/// The one-argument functions of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Function {
    Neg,
    Exp,
    Log,
    Sqrt,
    Sin,
    Cos,
    Tan,
    Tanh,
    Sinh,
    Cosh,
    Atan,
    /// 1 / (1 + e^(−a)).
    Sigmoid,
    /// log(1 + e^a).
    Softplus,
    /// log(1 + a).
    Log1p,
    /// e^a − 1.
    Expm1,
}

impl Function {
    /// The functions a formula may call, by name.
    pub const NAMED: [(&'static str, Function); 14] = [
        ("exp", Function::Exp),
        ("log", Function::Log),
        ("sqrt", Function::Sqrt),
        ("sin", Function::Sin),
        ("cos", Function::Cos),
        ("tan", Function::Tan),
        ("tanh", Function::Tanh),
        ("sinh", Function::Sinh),
        ("cosh", Function::Cosh),
        ("atan", Function::Atan),
        ("sigmoid", Function::Sigmoid),
        ("softplus", Function::Softplus),
        ("log1p", Function::Log1p),
        ("expm1", Function::Expm1),
    ];

    /// The function called `name`.
    pub fn by_name(name: &str) -> Option<Function> {
        Self::NAMED.iter().find(|(n, _)| *n == name).map(|&(_, f)| f)
    }

    /// f(a) over any dual number, f64 included (constant folding, the
    /// loss with exact derivatives of every order, the hot loop's fallback).
    pub fn apply<T: DualNum<Primitive = f64> + Copy>(self, a: T) -> T {
        match self {
            Function::Neg => -a,
            Function::Exp => a.exp(),
            Function::Log => a.ln(),
            Function::Sqrt => a.sqrt(),
            Function::Sin => a.sin(),
            Function::Cos => a.cos(),
            Function::Tan => a.tan(),
            Function::Tanh => a.tanh(),
            Function::Sinh => a.sinh(),
            Function::Cosh => a.cosh(),
            Function::Atan => a.atan(),
            Function::Sigmoid => (T::from(1.0) + (-a).exp()).recip(),
            // log(1 + e^a) = max(a, 0) + log(1 + e^(−|a|)), without overflow.
            Function::Softplus if a.re() > 0.0 => a + (-a).exp().ln_1p(),
            Function::Softplus => a.exp().ln_1p(),
            Function::Log1p => a.ln_1p(),
            Function::Expm1 => a.exp_m1(),
        }
    }
}

/// One node: a leaf (constant, weight, parameter, the sample x) or an
/// operation on earlier nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// A constant, by its f64 bits (finite, within f32's range).
    Const(u64),
    /// Weight θ_i.
    Weight(u8),
    /// Parameter k.
    Param(u8),
    /// Coordinate c of the sample: x (c = 0) for a scalar sample, x1..x4
    /// (c = 0..3) for a vector.
    X(u8),
    Add(Id, Id),
    Sub(Id, Id),
    Mul(Id, Id),
    Div(Id, Id),
    /// a^n, n a nonzero integer other than 1.
    Powi(Id, i32),
    Call(Function, Id),
}

/// Most nodes a graph may hold, derivatives included: formulas are data, and
/// a bounded graph bounds every evaluation and the WGSL emitted from it.
pub const MAX_NODES: usize = 20_000;

/// Nodes, each once, in the order built.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    index: HashMap<Node, Id>,
}

/// The graph outgrew [`MAX_NODES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLarge;

pub type Built = Result<Id, TooLarge>;

impl Graph {
    /// The node with this id.
    pub fn node(&self, id: Id) -> Node {
        self.nodes[id as usize]
    }

    /// The constant value of a node, if it is a constant.
    pub fn constant(&self, id: Id) -> Option<f64> {
        match self.node(id) {
            Node::Const(bits) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }

    fn intern(&mut self, node: Node) -> Built {
        if let Some(&id) = self.index.get(&node) {
            return Ok(id);
        }
        if self.nodes.len() >= MAX_NODES {
            return Err(TooLarge);
        }
        let id = self.nodes.len() as Id;
        self.nodes.push(node);
        self.index.insert(node, id);
        Ok(id)
    }

    /// A constant (−0 kept apart from 0 by its bits; NaN and infinities are
    /// the parser's to refuse).
    pub fn num(&mut self, value: f64) -> Built {
        self.intern(Node::Const(value.to_bits()))
    }

    pub fn weight(&mut self, i: usize) -> Built {
        self.intern(Node::Weight(i as u8))
    }

    pub fn param(&mut self, k: usize) -> Built {
        self.intern(Node::Param(k as u8))
    }

    /// Coordinate c of the sample.
    pub fn x(&mut self, c: usize) -> Built {
        self.intern(Node::X(c as u8))
    }

    fn is(&self, id: Id, value: f64) -> bool {
        self.constant(id) == Some(value)
    }

    /// A constant result where every argument is constant and the result is
    /// finite (otherwise the node stays symbolic, as evaluation would see it).
    fn fold(&mut self, value: Option<f64>) -> Option<Built> {
        value.filter(|v| v.is_finite()).map(|v| self.num(v))
    }

    pub fn add(&mut self, a: Id, b: Id) -> Built {
        if let Some(folded) = self.fold(self.constant(a).zip(self.constant(b)).map(|(p, q)| p + q)) {
            return folded;
        }
        if self.is(a, 0.0) {
            return Ok(b);
        }
        if self.is(b, 0.0) {
            return Ok(a);
        }
        if let Node::Call(Function::Neg, c) = self.node(b) {
            return self.sub(a, c);
        }
        self.intern(Node::Add(a.min(b), a.max(b)))
    }

    pub fn sub(&mut self, a: Id, b: Id) -> Built {
        if let Some(folded) = self.fold(self.constant(a).zip(self.constant(b)).map(|(p, q)| p - q)) {
            return folded;
        }
        if a == b {
            return self.num(0.0);
        }
        if self.is(b, 0.0) {
            return Ok(a);
        }
        if self.is(a, 0.0) {
            return self.call(Function::Neg, b);
        }
        if let Node::Call(Function::Neg, c) = self.node(b) {
            return self.add(a, c);
        }
        self.intern(Node::Sub(a, b))
    }

    pub fn mul(&mut self, a: Id, b: Id) -> Built {
        if let Some(folded) = self.fold(self.constant(a).zip(self.constant(b)).map(|(p, q)| p * q)) {
            return folded;
        }
        if self.is(a, 0.0) || self.is(b, 0.0) {
            return self.num(0.0);
        }
        if self.is(a, 1.0) {
            return Ok(b);
        }
        if self.is(b, 1.0) {
            return Ok(a);
        }
        if self.is(a, -1.0) {
            return self.call(Function::Neg, b);
        }
        if self.is(b, -1.0) {
            return self.call(Function::Neg, a);
        }
        self.intern(Node::Mul(a.min(b), a.max(b)))
    }

    pub fn div(&mut self, a: Id, b: Id) -> Built {
        if let Some(folded) = self.fold(self.constant(a).zip(self.constant(b)).map(|(p, q)| p / q)) {
            return folded;
        }
        if self.is(b, 1.0) {
            return Ok(a);
        }
        if self.is(a, 0.0) && self.constant(b).is_some_and(|q| q != 0.0) {
            return self.num(0.0);
        }
        self.intern(Node::Div(a, b))
    }

    /// a^n for an integer n.
    pub fn powi(&mut self, a: Id, n: i32) -> Built {
        if let Some(folded) = self.fold(self.constant(a).map(|p| p.powi(n))) {
            return folded;
        }
        match n {
            0 => self.num(1.0),
            1 => Ok(a),
            _ => self.intern(Node::Powi(a, n)),
        }
    }

    pub fn call(&mut self, f: Function, a: Id) -> Built {
        if let Some(folded) = self.fold(self.constant(a).map(|p| f.apply(p))) {
            return folded;
        }
        if let (Function::Neg, Node::Call(Function::Neg, b)) = (f, self.node(a)) {
            return Ok(b);
        }
        self.intern(Node::Call(f, a))
    }

    /// ∂e/∂θ_i, symbolically (memoised per node).
    pub fn derivative(&mut self, e: Id, i: usize) -> Built {
        let mut memo = HashMap::new();
        self.derive(e, i, &mut memo)
    }

    fn derive(&mut self, e: Id, i: usize, memo: &mut HashMap<Id, Id>) -> Built {
        if let Some(&d) = memo.get(&e) {
            return Ok(d);
        }
        let d = match self.node(e) {
            Node::Const(_) | Node::Param(_) | Node::X(_) => self.num(0.0)?,
            Node::Weight(j) => self.num(if j as usize == i { 1.0 } else { 0.0 })?,
            Node::Add(a, b) => {
                let (da, db) = (self.derive(a, i, memo)?, self.derive(b, i, memo)?);
                self.add(da, db)?
            }
            Node::Sub(a, b) => {
                let (da, db) = (self.derive(a, i, memo)?, self.derive(b, i, memo)?);
                self.sub(da, db)?
            }
            Node::Mul(a, b) => {
                let (da, db) = (self.derive(a, i, memo)?, self.derive(b, i, memo)?);
                let (l, r) = (self.mul(da, b)?, self.mul(a, db)?);
                self.add(l, r)?
            }
            // (a/b)' = (a' − (a/b) b') / b, reusing the quotient itself.
            Node::Div(a, b) => {
                let (da, db) = (self.derive(a, i, memo)?, self.derive(b, i, memo)?);
                let t = self.mul(e, db)?;
                let n = self.sub(da, t)?;
                self.div(n, b)?
            }
            Node::Powi(a, n) => {
                let da = self.derive(a, i, memo)?;
                let c = self.num(n as f64)?;
                let p = self.powi(a, n - 1)?;
                let cp = self.mul(c, p)?;
                self.mul(cp, da)?
            }
            Node::Call(f, a) => {
                let da = self.derive(a, i, memo)?;
                if self.is(da, 0.0) {
                    da
                } else {
                    let outer = self.outer_derivative(f, e, a)?;
                    self.mul(outer, da)?
                }
            }
        };
        memo.insert(e, d);
        Ok(d)
    }

    /// f'(a) for the node e = f(a), in terms of e where that is shorter.
    fn outer_derivative(&mut self, f: Function, e: Id, a: Id) -> Built {
        let one = self.num(1.0)?;
        match f {
            Function::Neg => self.num(-1.0),
            Function::Exp => Ok(e),
            Function::Expm1 => self.call(Function::Exp, a),
            Function::Log => self.div(one, a),
            Function::Log1p => {
                let b = self.add(one, a)?;
                self.div(one, b)
            }
            Function::Sqrt => {
                let two = self.num(2.0)?;
                let d = self.mul(two, e)?;
                self.div(one, d)
            }
            Function::Sin => self.call(Function::Cos, a),
            Function::Cos => {
                let s = self.call(Function::Sin, a)?;
                self.call(Function::Neg, s)
            }
            // tan' = 1 + tan², tanh' = 1 − tanh².
            Function::Tan => {
                let t2 = self.powi(e, 2)?;
                self.add(one, t2)
            }
            Function::Tanh => {
                let t2 = self.powi(e, 2)?;
                self.sub(one, t2)
            }
            Function::Sinh => self.call(Function::Cosh, a),
            Function::Cosh => self.call(Function::Sinh, a),
            Function::Atan => {
                let a2 = self.powi(a, 2)?;
                let b = self.add(one, a2)?;
                self.div(one, b)
            }
            // σ' = σ(1 − σ); softplus' = σ.
            Function::Sigmoid => {
                let c = self.sub(one, e)?;
                self.mul(e, c)
            }
            Function::Softplus => self.call(Function::Sigmoid, a),
        }
    }

    /// The total degree of e as a polynomial in the sample's coordinates (its coefficients any functions
    /// of the weights and parameters), or `None` where e is not a polynomial
    /// in x (x inside a function, a denominator or a negative power). An upper
    /// bound: cancellations the simplifier does not see are not found.
    pub fn degree_in_x(&self, e: Id) -> Option<u32> {
        let mut deg: Vec<Option<u32>> = Vec::with_capacity(e as usize + 1);
        for id in 0..=e {
            let d = match self.node(id) {
                Node::Const(_) | Node::Weight(_) | Node::Param(_) => Some(0),
                Node::X(_) => Some(1),
                Node::Add(a, b) | Node::Sub(a, b) => deg[a as usize].zip(deg[b as usize]).map(|(p, q)| p.max(q)),
                Node::Mul(a, b) => deg[a as usize].zip(deg[b as usize]).map(|(p, q)| p + q),
                Node::Div(a, b) => deg[a as usize].filter(|_| deg[b as usize] == Some(0)),
                Node::Powi(a, n) => match deg[a as usize] {
                    Some(0) => Some(0),
                    Some(p) if n > 0 => p.checked_mul(n as u32),
                    _ => None,
                },
                Node::Call(Function::Neg, a) => deg[a as usize],
                Node::Call(_, a) => deg[a as usize].filter(|&p| p == 0),
            };
            deg.push(d);
        }
        deg[e as usize]
    }

    /// Whether e depends on a node for which `leaf` holds.
    pub fn depends_on(&self, e: Id, leaf: impl Fn(Node) -> bool) -> bool {
        let mut on = Vec::with_capacity(e as usize + 1);
        for id in 0..=e {
            let d = match self.node(id) {
                n @ (Node::Const(_) | Node::Weight(_) | Node::Param(_) | Node::X(_)) => leaf(n),
                Node::Add(a, b) | Node::Sub(a, b) | Node::Mul(a, b) | Node::Div(a, b) => {
                    on[a as usize] || on[b as usize]
                }
                Node::Powi(a, _) | Node::Call(_, a) => on[a as usize],
            };
            on.push(d);
        }
        on[e as usize]
    }

    /// The nodes `roots` need, as a [`Tape`]: each needed node once, in id
    /// order, its operands renumbered to tape slots.
    pub fn tape(&self, roots: &[Id]) -> Tape {
        let top = roots.iter().copied().max().unwrap_or(0) as usize;
        let mut needed = vec![false; top + 1];
        for &r in roots {
            needed[r as usize] = true;
        }
        for id in (0..=top).rev() {
            if needed[id] {
                match self.nodes[id] {
                    Node::Add(a, b) | Node::Sub(a, b) | Node::Mul(a, b) | Node::Div(a, b) => {
                        needed[a as usize] = true;
                        needed[b as usize] = true;
                    }
                    Node::Powi(a, _) | Node::Call(_, a) => needed[a as usize] = true,
                    _ => {}
                }
            }
        }
        let mut slot = vec![u32::MAX; top + 1];
        let mut ops = Vec::new();
        for id in 0..=top {
            if needed[id] {
                let s = |k: Id| slot[k as usize];
                let op = match self.nodes[id] {
                    Node::Add(a, b) => Node::Add(s(a), s(b)),
                    Node::Sub(a, b) => Node::Sub(s(a), s(b)),
                    Node::Mul(a, b) => Node::Mul(s(a), s(b)),
                    Node::Div(a, b) => Node::Div(s(a), s(b)),
                    Node::Powi(a, n) => Node::Powi(s(a), n),
                    Node::Call(f, a) => Node::Call(f, s(a)),
                    leaf => leaf,
                };
                slot[id] = ops.len() as u32;
                ops.push(op);
            }
        }
        let mut partner = vec![NO_PARTNER; ops.len()];
        let mut trig: HashMap<(Function, u32), usize> = HashMap::new();
        for (k, op) in ops.iter().enumerate() {
            if let Node::Call(f @ (Function::Sin | Function::Cos), a) = *op {
                let other = if f == Function::Sin { Function::Cos } else { Function::Sin };
                if let Some(&j) = trig.get(&(other, a)) {
                    (partner[j], partner[k]) = (k as u32, j as u32);
                }
                trig.insert((f, a), k);
            }
        }
        Tape { ops, outputs: roots.iter().map(|&r| slot[r as usize]).collect(), partner }
    }
}

/// [`Tape::partner`] of an op with none.
pub const NO_PARTNER: u32 = u32::MAX;

/// A straight-line program: `ops[k]` reads only slots below k; the results
/// are the slots `outputs`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tape {
    pub ops: Vec<Node>,
    pub outputs: Vec<u32>,
    /// For sin(a) the slot of cos(a) and vice versa, where the tape has
    /// both ([`NO_PARTNER`] otherwise): one sincos fills the two (the
    /// built-ins' archimedes does the same by hand).
    pub partner: Vec<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_subexpressions_are_one_node_and_simplify() {
        let mut g = Graph::default();
        let (h, x) = (g.weight(0).unwrap(), g.x(0).unwrap());
        let a = g.mul(h, x).unwrap();
        let b = g.mul(x, h).unwrap();
        assert_eq!(a, b, "multiplication is commutative");
        let zero = g.num(0.0).unwrap();
        let one = g.num(1.0).unwrap();
        assert_eq!(g.add(a, zero).unwrap(), a);
        assert_eq!(g.mul(one, a).unwrap(), a);
        assert_eq!(g.sub(a, a).unwrap(), zero);
        let two = g.num(2.0).unwrap();
        let three = g.num(3.0).unwrap();
        let six = g.mul(two, three).unwrap();
        assert_eq!(g.constant(six), Some(6.0));
        // 1/0 is not folded into a constant infinity.
        let inf = g.div(one, zero).unwrap();
        assert_eq!(g.constant(inf), None);
    }

    #[test]
    fn degree_in_x_counts_powers_and_refuses_x_inside_functions() {
        let mut g = Graph::default();
        let (h, x) = (g.weight(0).unwrap(), g.x(0).unwrap());
        let x2 = g.powi(x, 2).unwrap();
        let e = g.call(Function::Exp, h).unwrap();
        let l = g.mul(x2, e).unwrap();
        assert_eq!(g.degree_in_x(l), Some(2));
        let hx = g.mul(h, x).unwrap();
        let s = g.call(Function::Softplus, hx).unwrap();
        assert_eq!(g.degree_in_x(s), None);
        let q = g.div(h, x).unwrap();
        assert_eq!(g.degree_in_x(q), None);
        assert_eq!(g.degree_in_x(e), Some(0));
    }

    #[test]
    fn the_tape_keeps_only_what_the_roots_need() {
        let mut g = Graph::default();
        let (h, x) = (g.weight(0).unwrap(), g.x(0).unwrap());
        let _unused = g.call(Function::Sin, x).unwrap();
        let e = g.call(Function::Exp, h).unwrap();
        let t = g.tape(&[e]);
        assert_eq!(t.ops, vec![Node::Weight(0), Node::Call(Function::Exp, 0)]);
        assert_eq!(t.outputs, vec![1]);
    }
}
