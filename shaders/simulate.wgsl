// The trajectory kernels: one invocation per trial, its state in registers for
// a whole dispatch of steps (src/backend/gpu). Assembled after the generated
// constants (WG, DIVERGED, NONFINITE, DYNAMICS_*, UPDATE_*, STREAM_*,
// MAX_NODES, MAX_PARAMS: src/backend/gpu/shader.rs), philox.wgsl, math.wgsl,
// the landscape's generated DIM and param_NAME() and its WGSL (loss(), grad()
// and hess(), src/landscape/).
//
// Grid semantics are those of src/grid.rs: step t of epoch t / (N/B) uses the
// batch of positions k B .. (k + 1) B, k = t mod (N/B), in the epoch's order
// (the identity, or a Fisher-Yates shuffle driven by the shuffle stream).
// A grid step's update rule (src/optimizer.rs's Update, seed 002 sec. 4.3)
// is the pipeline's UPDATE: see `descend`.

struct Config {
    seed: vec2<u32>,
    trials: u32,        // trials in this chunk
    trial0: u32,        // global index of the chunk's first trial
    n: u32,             // N
    batch: u32,         // B
    shuffle: u32,
    stride: u32,        // lanes per fused point (a multiple of WG; see `lane`)
    t0: u32,            // this dispatch runs steps t0 .. t1
    t1: u32,
    substeps: u32,      // K
    slot: u32,          // the record slot `record` writes
    groups_x: u32,      // workgroups along x (2-D dispatch beyond 65535)
    groups: u32,        // workgroups in all
    by_weights: u32,    // 1: the train loss from the Lagrange sums (no replay)
    presummed: u32,     // 1: `init` takes the Lagrange sums over the whole training set (not the steps)
    eta: f32,
    diverge_at: f32,
    drift_slope: f32,   // this record's weights in the drift estimators
    drift_step: f32,    // (src/drift.rs); 0 outside the window
    beta: f32,          // momentum's beta (UPDATE_HEAVY_BALL, UPDATE_NESTEROV)
    lambda: f32,        // invhess's lambda (UPDATE_INVERSE_HESSIAN)
    schedule: u32,      // eta_t (`eta_at`): 0 constant, 1 step, 2 cosine, 3 1/t
    every: u32,         // step: K
    schedule_param: f32, // step: gamma; 1/t: tau
    steps: u32,         // T
    points: u32,        // points in this dispatch (a fused sweep's; else 1)
    pad2: u32,
    params: array<vec4<f32>, MAX_PARAMS / 4u>, // read through param_NAME()
    init: vec4<f32>,
    nodes: array<vec4<f32>, MAX_NODES / 4u>,
    weights: array<vec4<f32>, MAX_NODES / 4u>,
}

// Each pipeline is specialised for its dynamics, so the code of the others is
// compiled out; learning-curve records are a kernel of their own, the only one
// with barriers (lavapipe runs a kernel that merely contains a barrier or an
// unused private array several times slower).
override DYNAMICS: u32 = DYNAMICS_GRID; // or DYNAMICS_SDE, DYNAMICS_ODE
// A grid pipeline is specialised for its update rule too: plain gradient
// steps carry no momentum and evaluate no Hessian.
override UPDATE: u32 = UPDATE_GRADIENT; // or UPDATE_HEAVY_BALL, UPDATE_NESTEROV, UPDATE_INVERSE_HESSIAN
// A fused sweep's pipeline: the lanes belong to several points (`lane`).
// Otherwise every lane is point 0, a constant the compiler folds into each
// cfgs[pt] (lavapipe cannot see that pt is uniform, and gathers per lane).
override FUSED: bool = false;

// One configuration per point of a fused sweep (src/backend/gpu/simulate.rs):
// points that differ only in what a Config holds (eta, the seed, parameters,
// the schedule...) run in one dispatch, point p on lanes p stride ..
// (p + 1) stride, each reading cfgs[pt]. A run of one point is point 0.
@group(0) @binding(0) var<uniform> cfgs: array<Config, MAX_FUSED>;
@group(0) @binding(1) var<storage, read_write> state: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> flags: array<u32>;
@group(0) @binding(3) var<storage, read_write> order: array<u32>;
// Per (record slot, workgroup): count, then mean and M2 of (test loss, theta)
// and of (train loss, gap, 0, 0).
@group(0) @binding(4) var<storage, read_write> partials: array<vec4<f32>>;
// Per trial: while running, the sums over the training points (those seen in
// epoch 0, or all of them from `init` where `presummed`) of the Lagrange
// basis at the quadrature nodes (`lagrange`); after `finish`, (test loss,
// train loss, 0, 0).
@group(0) @binding(5) var<storage, read_write> results: array<vec4<f32>>;
// Per trial, with a drift window: the least-squares slope of theta and the
// mean conditional step -eta G(theta) (src/drift.rs), accumulated by records.
@group(0) @binding(6) var<storage, read_write> drift: array<vec4<f32>>;
// Per trial, with momentum: theta_(t-1), the weights before the last step
// (theta_(-1) = theta_0); one unused vec4 otherwise.
@group(0) @binding(7) var<storage, read_write> previous: array<vec4<f32>>;

// The invocation's point of a fused sweep, set by `lane` first thing.
var<private> pt: u32;
// The landscape's parameter slot i (its generated param_NAME()).
fn param_slot(i: u32) -> f32 {
    return cfgs[pt].params[i >> 2u][i & 3u];
}

var<workgroup> wg_n: array<f32, WG>;
var<workgroup> wg_mean: array<vec4<f32>, WG>;
var<workgroup> wg_m2: array<vec4<f32>, WG>;
var<workgroup> wg_mean2: array<vec4<f32>, WG>;
var<workgroup> wg_m2b: array<vec4<f32>, WG>;

// The training points of the block last drawn for one trial: reading
// points in order costs one block of the law's `data4` (one Philox block for
// normal, uniform and Rademacher points) per POINTS_PER_BLOCK points (four
// scalars, or one vector sample).
struct Points {
    block: u32, // NO_BLOCK before the first draw
    z: vec4<f32>,
}

// Elements are u32 on the device, so blocks stay below 2^30.
const NO_BLOCK: u32 = 0xFFFFFFFFu;

fn fresh_points() -> Points {
    return Points(NO_BLOCK, vec4<f32>(0.0));
}

// Training point e of `trial`, through the block cache `c`.
fn point_at(c: ptr<function, Points>, trial: u32, e: u32) -> Point {
    let b = e / POINTS_PER_BLOCK;
    if ((*c).block != b) {
        (*c).block = b;
        (*c).z = data4(trial, b);
    }
    return point_of((*c).z, e % POINTS_PER_BLOCK);
}

// eta_t = eta s(t), the schedule of src/schedule.rs: constant; step,
// gamma^floor(t/K); cosine, (1 + cos(pi t/T))/2; 1/t, tau/(tau + t).
fn eta_at(t: u32) -> f32 {
    switch cfgs[pt].schedule {
        case 1u: {
            return cfgs[pt].eta * pow(cfgs[pt].schedule_param, f32(t / cfgs[pt].every));
        }
        case 2u: {
            return cfgs[pt].eta * 0.5 * (1.0 + cos(3.14159265358979 * f32(t) / f32(max(cfgs[pt].steps, 1u))));
        }
        case 3u: {
            return cfgs[pt].eta * cfgs[pt].schedule_param / (cfgs[pt].schedule_param + f32(t));
        }
        default: {
            return cfgs[pt].eta;
        }
    }
}

// Node j of the one-dimensional rule and its weight.
fn node1(j: u32) -> f32 {
    return cfgs[pt].nodes[j >> 2u][j & 3u];
}

fn weight1(j: u32) -> f32 {
    return cfgs[pt].weights[j >> 2u][j & 3u];
}

// Point j of the rule: for a vector sample the tensor product of the
// one-dimensional rule, coordinate c at node1((j / RULE_BASE^c) mod
// RULE_BASE) (src/quadrature.rs's Cubature), its weight the product.
fn node(j: u32) -> Point {
    if (SAMPLE_DIM == 1u) {
        return point_of(vec4<f32>(node1(j)), 0u);
    }
    var p = vec4<f32>(0.0);
    var r = j;
    for (var c = 0u; c < SAMPLE_DIM; c++) {
        p[c] = node1(r % RULE_BASE);
        r = r / RULE_BASE;
    }
    return point_of(p, 0u);
}

fn weight(j: u32) -> f32 {
    if (SAMPLE_DIM == 1u) {
        return weight1(j);
    }
    var w = 1.0;
    var r = j;
    for (var c = 0u; c < SAMPLE_DIM; c++) {
        w *= weight1(r % RULE_BASE);
        r = r / RULE_BASE;
    }
    return w;
}

fn test_loss(t: vec4<f32>) -> f32 {
    var sum = 0.0;
    for (var j = 0u; j < RULE_LEN; j++) {
        sum += weight(j) * loss(t, node(j));
    }
    return sum;
}

// DIVERGED if a weight is not finite or |theta_d| > diverge_at.
fn divergence(t: vec4<f32>) -> u32 {
    var f = 0u;
    for (var d = 0u; d < DIM; d++) {
        if (nonfinite(t[d]) || abs(t[d]) > cfgs[pt].diverge_at) {
            f = DIVERGED;
        }
    }
    return f;
}

fn loss_divergence(l: f32) -> u32 {
    if (nonfinite(l) || abs(l) > cfgs[pt].diverge_at) {
        return DIVERGED;
    }
    return 0u;
}

// Whether the pipeline's steps carry momentum (theta_(t-1) in `previous`).
fn heavy_ball() -> bool {
    return UPDATE == UPDATE_HEAVY_BALL || UPDATE == UPDATE_NESTEROV;
}

// A batch's sums over its points n: sum grad l_n and, for invhess,
// sum hess l_n, both at the step's gradient point (`gradient_point`).
struct Batch {
    g: vec4<f32>,
    h: mat3x3<f32>,
}

fn empty_batch() -> Batch {
    return Batch(vec4<f32>(0.0), mat3x3<f32>());
}

// Where a step takes its gradients: theta_t, or Nesterov's look-ahead
// theta_t + beta (theta_t - theta_(t-1)).
fn gradient_point(th: vec4<f32>, prev: vec4<f32>) -> vec4<f32> {
    if (UPDATE == UPDATE_NESTEROV) {
        return th + cfgs[pt].beta * (th - prev);
    }
    return th;
}

// Adds the training point x to the batch's sums at the gradient point `at`.
fn add_point(b: Batch, at: vec4<f32>, x: Point) -> Batch {
    var out = b;
    out.g += grad(at, x);
    if (UPDATE == UPDATE_INVERSE_HESSIAN) {
        out.h += hess(at, x);
    }
    return out;
}

// det M by cofactors along the first row, as src/linalg.rs (m[c][r] is row r,
// column c).
fn det3(m: mat3x3<f32>) -> f32 {
    return m[0][0] * (m[1][1] * m[2][2] - m[2][1] * m[1][2])
        - m[1][0] * (m[0][1] * m[2][2] - m[2][1] * m[0][2])
        + m[2][0] * (m[0][1] * m[1][2] - m[1][1] * m[0][2]);
}

// The solution of M s = b by Cramer's rule, s_i = det M_i / det M with
// column i of M replaced by b, or NaN where M is singular or s not finite
// (the trial then diverges, as on the CPU). M is D x D padded with the
// identity (hess() is zero beyond DIM), which leaves det M and s_(<D) those
// of the D x D system, term for term, and s_(>=D) = 0.
fn cramer(m: mat3x3<f32>, b: vec3<f32>) -> vec3<f32> {
    let det = det3(m);
    let s = vec3<f32>(
        det3(mat3x3<f32>(b, m[1], m[2])),
        det3(mat3x3<f32>(m[0], b, m[2])),
        det3(mat3x3<f32>(m[0], m[1], b)),
    ) / det;
    if (det == 0.0 || nonfinite(s.x) || nonfinite(s.y) || nonfinite(s.z)) {
        return vec3<f32>(bitcast<f32>(0x7FC00000u));
    }
    return s;
}

// One grid step from theta_t = `th` with the batch's sums `b` (B points) and
// `scale` = eta_t / B, the pipeline's UPDATE (src/optimizer.rs's Update, seed 002 sec. 4.3):
// * UPDATE_GRADIENT (sgd, gd; momentum at beta = 0, invhess at lambda = 0):
//   theta_(t+1) = theta_t - (eta/B) sum grad l_n(theta_t);
// * UPDATE_HEAVY_BALL: theta_(t+1) = theta_t - (eta/B) sum grad l_n(theta_t)
//   + beta (theta_t - theta_(t-1)), `prev` holding theta_(t-1) and left
//   holding theta_t;
// * UPDATE_NESTEROV: the same with the gradients at the look-ahead
//   theta_t + beta (theta_t - theta_(t-1)) (`gradient_point`);
// * UPDATE_INVERSE_HESSIAN: theta_(t+1) = theta_t - s, (eta^-1 I + lambda hbar) s = gbar
//   with gbar, hbar the batch's mean gradient and Hessian, solved as
//   (I + (eta lambda / B) sum hess l_n) s' = sum grad l_n, s = (eta/B) s'
//   (as the CPU backend), so that the step is SGD's arithmetic with s' for
//   the summed gradient.
fn descend(th: vec4<f32>, prev: ptr<function, vec4<f32>>, b: Batch, scale: f32) -> vec4<f32> {
    var g = b.g;
    if (UPDATE == UPDATE_INVERSE_HESSIAN) {
        let c = scale * cfgs[pt].lambda;
        let identity = mat3x3<f32>(1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0);
        g = vec4<f32>(cramer(identity + c * b.h, g.xyz), 0.0);
    }
    var next = th - scale * g;
    if (heavy_ball()) {
        next += cfgs[pt].beta * (th - *prev);
        *prev = th;
    }
    return next;
}

// The epoch's visiting order for this trial: Fisher-Yates from the identity,
// position j (top down) swapped with floor(word(epoch N + j) (j + 1) / 2^32).
fn shuffle_epoch(trial: u32, slot: u32, epoch: u32) {
    let n = cfgs[pt].n;
    let base = slot * n;
    for (var j = 0u; j < n; j++) {
        order[base + j] = j;
    }
    var block = 0xFFFFFFFFu;
    var words = vec4<u32>(0u);
    for (var j = n - 1u; j >= 1u; j--) {
        let k = shuffle_partner(cfgs[pt].seed, trial, epoch, n, j, &block, &words);
        let tmp = order[base + j];
        order[base + j] = order[base + k];
        order[base + k] = tmp;
    }
}

// One step of a shuffled grid (`descend`, `prev` holding theta_(t-1) for
// momentum): step t, step k of epoch `epoch`, at eta_t, the points drawn
// through `data`.
// With `by_weights`, the points of epoch 0 add to the Lagrange sums `sums`.
fn shuffled_step(trial: u32, slot: u32, t: u32, epoch: u32, k: u32, th: vec4<f32>, prev: ptr<function, vec4<f32>>, data: ptr<function, Points>, sums: ptr<function, vec4<f32>>) -> vec4<f32> {
    if (k == 0u) {
        shuffle_epoch(trial, slot, epoch);
    }
    let at = gradient_point(th, *prev);
    var batch = empty_batch();
    for (var p = k * cfgs[pt].batch; p < (k + 1u) * cfgs[pt].batch; p++) {
        let x = point_at(data, trial, order[slot * cfgs[pt].n + p]);
        batch = add_point(batch, at, x);
        if (cfgs[pt].by_weights != 0u && cfgs[pt].presummed == 0u && epoch == 0u) {
            *sums += lagrange(x);
        }
    }
    return descend(th, prev, batch, eta_at(t) / f32(cfgs[pt].batch));
}

// Element i < 4 of a block's normals.
fn pick(z: vec4<f32>, i: u32) -> f32 {
    return select(select(z.x, z.y, i == 1u), select(z.z, z.w, i == 3u), i >= 2u);
}

// (L_0(x), ..., L_(M-1)(x)) for the Lagrange basis at the quadrature nodes
// (M = RULE_LEN <= 4 where used; 0 beyond). Averaged over the training set
// they are the weights that make sum_j w_j l(theta, node_j) its mean loss,
// exactly, as l is a polynomial of degree < M in x (src/quadrature.rs).
// Used for a scalar sample only (SAMPLE_DIM = 1, where Point is f32).
fn lagrange(point: Point) -> vec4<f32> {
    let x = vec4<f32>(point).x;
    var out = vec4<f32>(0.0);
    for (var j = 0u; j < min(RULE_LEN, 4u); j++) {
        var p = 1.0;
        for (var k = 0u; k < RULE_LEN; k++) {
            let factor = (x - node1(k)) / (node1(j) - node1(k));
            p *= select(factor, 1.0, k == j);
        }
        out[j] = p;
    }
    return out;
}

// A grid in the identity order, steps t0 .. t1 of trial `trial` from `th`
// (and theta_(t0-1) in `prev`, for momentum; see `descend`): the training
// points are read in order, a block (`data4`: POINTS_PER_BLOCK points) at a time and
// unconditionally, each point's gradient added to its step's batch.
// (SIMD drivers such as llvmpipe execute an `if` whether or not a lane takes
// it, so a per-point cache would cost a block per point.)
// With `by_weights`, the points of epoch 0 add to the Lagrange sums `sums`.
struct Stepped {
    th: vec4<f32>,
    prev: vec4<f32>,
    flag: u32,
    sums: vec4<f32>,
}

fn identity_steps(trial: u32, t0: u32, t1: u32, start: Stepped) -> Stepped {
    let n = cfgs[pt].n;
    let per = n / cfgs[pt].batch;
    var th = start.th;
    var prev = start.prev;
    var flag = start.flag;
    var sums = start.sums;
    var t = t0;
    var e = (t0 % per) * cfgs[pt].batch; // position within the epoch
    var at = gradient_point(th, prev);
    var batch = empty_batch();
    var filled = 0u;
    while (t < t1) {
        let z = data4(trial, e / POINTS_PER_BLOCK);
        let end = min((e / POINTS_PER_BLOCK + 1u) * POINTS_PER_BLOCK, n);
        while (e < end && t < t1) {
            let x = point_of(z, e % POINTS_PER_BLOCK);
            batch = add_point(batch, at, x);
            if (cfgs[pt].by_weights != 0u && cfgs[pt].presummed == 0u && t < per) {
                sums += lagrange(x);
            }
            e++;
            filled++;
            if (filled == cfgs[pt].batch) {
                th = descend(th, &prev, batch, eta_at(t) / f32(cfgs[pt].batch));
                flag |= divergence(th);
                at = gradient_point(th, prev);
                batch = empty_batch();
                filled = 0u;
                t++;
            }
        }
        if (e == n) {
            e = 0u;
        }
    }
    return Stepped(th, prev, flag, sums);
}

// K Euler-Maruyama substeps: drift -(eta/K) G(theta) with the exact mean
// gradient (quadrature), noise of covariance (eta^2/K) C(theta)/B (SDE only),
// drawn as sum_j sqrt(w_j) (g_j - G) xi_j over the quadrature nodes, whose
// covariance is exactly C (no factorisation, rank-deficient C included).
// One pass over the nodes, no per-node array (a private array is slow on
// llvmpipe): the noise is sum_j sqrt(w_j) xi_j g_j - (sum_j sqrt(w_j) xi_j) G,
// with node j's normal element (t K + s) M + j of the noise stream read a
// Philox block at a time.
fn continuous_step(trial: u32, t: u32, th: vec4<f32>) -> vec4<f32> {
    let k = cfgs[pt].substeps;
    let m = RULE_LEN;
    let eta = eta_at(t);
    let h = eta / f32(k);
    let sigma = eta / sqrt(f32(k * cfgs[pt].batch));
    var x = th;
    for (var s = 0u; s < k; s++) {
        var mean = vec4<f32>(0.0);
        var noise = vec4<f32>(0.0);
        var weights = 0.0;
        if (DYNAMICS == DYNAMICS_SDE) {
            let e0 = (t * k + s) * m;
            for (var b = e0 >> 2u; 4u * b < e0 + m; b++) {
                let z = normals4(rng_block(cfgs[pt].seed, trial, STREAM_NOISE, b));
                for (var e = max(4u * b, e0); e < min(4u * b + 4u, e0 + m); e++) {
                    let j = e - e0;
                    let g = grad(x, node(j));
                    let xi = sqrt(weight(j)) * pick(z, e & 3u);
                    mean += weight(j) * g;
                    noise += xi * g;
                    weights += xi;
                }
            }
        } else {
            for (var j = 0u; j < m; j++) {
                mean += weight(j) * grad(x, node(j));
            }
        }
        x = x - h * mean + sigma * (noise - weights * mean);
    }
    return x;
}

// The mean loss at theta over the training set of `trial`, regenerated from
// the data stream (`count` = N points; 0 skips it and gives 0), summed with
// Kahan's compensation.
fn replayed_train_loss(trial: u32, th: vec4<f32>, count: u32) -> f32 {
    var sum = 0.0;
    var carry = 0.0;
    for (var b = 0u; POINTS_PER_BLOCK * b < count; b++) {
        let z = data4(trial, b);
        for (var i = 0u; i < min(POINTS_PER_BLOCK, count - POINTS_PER_BLOCK * b); i++) {
            let y = loss(th, point_of(z, i)) - carry;
            let s = sum + y;
            carry = (s - sum) - y;
            sum = s;
        }
    }
    return sum / f32(max(count, 1u));
}

// Test and train loss at theta: one pass over the quadrature nodes, the
// train loss from the Lagrange sums `sums` (`by_weights`; complete where
// `presummed` or after epoch 0) or else by replaying the training set.
fn losses(trial: u32, th: vec4<f32>, sums: vec4<f32>) -> vec2<f32> {
    let w = sums / f32(cfgs[pt].n);
    var test = 0.0;
    var weighted = 0.0;
    for (var j = 0u; j < RULE_LEN; j++) {
        let l = loss(th, node(j));
        test += weight(j) * l;
        weighted += select(0.0, w[min(j, 3u)], j < 4u) * l;
    }
    // No iterations with `by_weights`.
    let replayed = replayed_train_loss(trial, th, select(cfgs[pt].n, 0u, cfgs[pt].by_weights != 0u));
    return vec2<f32>(test, select(replayed, weighted, cfgs[pt].by_weights != 0u));
}

// Adds (test loss, theta) and (train loss, gap) of the trials still alive to
// record slot `slot`: a Chan merge over the workgroup, one partial per
// workgroup. Marks a trial whose test or train loss left the bounds as
// diverged. Call in uniform control flow.
fn record(slot: u32, wg: u32, lid: u32, live: bool, th: vec4<f32>, l: vec2<f32>, flag: u32) -> u32 {
    let f = flag | loss_divergence(l.x) | loss_divergence(l.y);
    let alive = live && (f & DIVERGED) == 0u;
    wg_n[lid] = select(0.0, 1.0, alive);
    wg_mean[lid] = select(vec4<f32>(0.0), vec4<f32>(l.x, th.x, th.y, th.z), alive);
    wg_mean2[lid] = select(vec4<f32>(0.0), vec4<f32>(l.y, l.x - l.y, 0.0, 0.0), alive);
    wg_m2[lid] = vec4<f32>(0.0);
    wg_m2b[lid] = vec4<f32>(0.0);
    workgroupBarrier();
    for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
        if (lid < stride) {
            let na = wg_n[lid];
            let nb = wg_n[lid + stride];
            if (nb > 0.0) {
                let n = na + nb;
                let w = nb / n;
                let d = wg_mean[lid + stride] - wg_mean[lid];
                wg_mean[lid] += d * w;
                wg_m2[lid] += wg_m2[lid + stride] + d * d * (na * w);
                let e = wg_mean2[lid + stride] - wg_mean2[lid];
                wg_mean2[lid] += e * w;
                wg_m2b[lid] += wg_m2b[lid + stride] + e * e * (na * w);
                wg_n[lid] = n;
            }
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        let base = (slot * cfgs[pt].groups + wg) * 5u;
        partials[base] = vec4<f32>(wg_n[0], 0.0, 0.0, 0.0);
        partials[base + 1u] = wg_mean[0];
        partials[base + 2u] = wg_m2[0];
        partials[base + 3u] = wg_mean2[0];
        partials[base + 4u] = wg_m2b[0];
    }
    workgroupBarrier();
    return f;
}

// An invocation: its workgroup, its trial within the chunk (clamped, so that
// padding lanes compute on a real state and write nothing), whether it is a
// real trial, the global trial index and its own slot (order buffer).
struct Lane {
    wg: u32,
    local: u32,
    live: bool,
    trial: u32,
    slot: u32,
}

// Sets `pt`, the invocation's point of a fused sweep; `local` indexes the
// per-trial buffers, which hold the points one after another, `stride` apart.
fn lane(wid: vec3<u32>, lid: u32) -> Lane {
    let wg = wid.y * cfgs[0].groups_x + wid.x;
    let raw = wg * WG + lid;
    // The last point also takes the lanes of a 2-D dispatch's spare workgroups.
    pt = select(0u, min(raw / cfgs[0].stride, cfgs[0].points - 1u), FUSED);
    let within = raw - pt * cfgs[0].stride;
    let local = min(within, cfgs[pt].trials - 1u);
    return Lane(wg, pt * cfgs[0].stride + local, within < cfgs[pt].trials, cfgs[pt].trial0 + local, raw);
}

@compute @workgroup_size(WG)
fn init(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let ln = lane(wid, lid);
    if (ln.live) {
        state[ln.local] = cfgs[pt].init;
        if (heavy_ball()) {
            previous[ln.local] = cfgs[pt].init;
        }
        flags[ln.local] = 0u;
        var sums = vec4<f32>(0.0);
        if (cfgs[pt].presummed != 0u) {
            for (var b = 0u; POINTS_PER_BLOCK * b < cfgs[pt].n; b++) {
                let z = data4(ln.trial, b);
                for (var i = 0u; i < min(POINTS_PER_BLOCK, cfgs[pt].n - POINTS_PER_BLOCK * b); i++) {
                    sums += lagrange(point_of(z, i));
                }
            }
        }
        results[ln.local] = sums;
        if (arrayLength(&drift) >= 2u * (ln.local + 1u)) {
            drift[2u * ln.local] = vec4<f32>(0.0);
            drift[2u * ln.local + 1u] = vec4<f32>(0.0);
        }
    }
}

@compute @workgroup_size(WG)
fn run_steps(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let ln = lane(wid, lid);
    var th = state[ln.local];
    var prev = vec4<f32>(0.0);
    if (heavy_ball()) {
        prev = previous[ln.local];
    }
    var flag = flags[ln.local];
    var points = fresh_points();
    var sums = results[ln.local];
    if (DYNAMICS == DYNAMICS_GRID && cfgs[pt].shuffle == 0u) {
        let r = identity_steps(ln.trial, cfgs[pt].t0, cfgs[pt].t1, Stepped(th, prev, flag, sums));
        th = r.th;
        prev = r.prev;
        flag = r.flag;
        sums = r.sums;
    } else if (DYNAMICS == DYNAMICS_GRID) {
        // Step t is step k of epoch t / (N/B): counted, not divided, per step.
        let per = cfgs[pt].n / cfgs[pt].batch;
        var epoch = cfgs[pt].t0 / per;
        var k = cfgs[pt].t0 % per;
        for (var t = cfgs[pt].t0; t < cfgs[pt].t1; t++) {
            th = shuffled_step(ln.trial, ln.slot, t, epoch, k, th, &prev, &points, &sums);
            flag |= divergence(th);
            k++;
            if (k == per) {
                k = 0u;
                epoch++;
            }
        }
    } else {
        for (var t = cfgs[pt].t0; t < cfgs[pt].t1; t++) {
            th = continuous_step(ln.trial, t, th);
            flag |= divergence(th);
        }
    }
    if (ln.live) {
        state[ln.local] = th;
        if (heavy_ball()) {
            previous[ln.local] = prev;
        }
        flags[ln.local] = flag;
        results[ln.local] = sums;
    }
}

// A learning-curve record of the current state into slot cfgs[pt].slot, and its
// terms of the drift estimators.
@compute @workgroup_size(WG)
fn record_curve(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let ln = lane(wid, lid);
    let th = state[ln.local];
    let l = losses(ln.trial, th, results[ln.local]);
    let flag = record(cfgs[pt].slot, ln.wg, lid, ln.live, th, l, flags[ln.local]);
    if (ln.live) {
        flags[ln.local] = flag;
        if (cfgs[pt].drift_slope != 0.0 || cfgs[pt].drift_step != 0.0) {
            var g = vec4<f32>(0.0);
            if (cfgs[pt].drift_step != 0.0) {
                for (var j = 0u; j < RULE_LEN; j++) {
                    g += weight(j) * grad(th, node(j));
                }
            }
            drift[2u * ln.local] += cfgs[pt].drift_slope * th;
            drift[2u * ln.local + 1u] += cfgs[pt].drift_step * g;
        }
    }
}

// After the last step: test and train loss (`losses`) and the divergence
// flags.
@compute @workgroup_size(WG)
fn finish(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let ln = lane(wid, lid);
    let th = state[ln.local];
    var flag = flags[ln.local];
    let l = losses(ln.trial, th, results[ln.local]);
    let test = l.x;
    let train = l.y;
    flag |= loss_divergence(test) | loss_divergence(train);
    var bad = nonfinite(test) || nonfinite(train);
    for (var d = 0u; d < DIM; d++) {
        bad = bad || nonfinite(th[d]);
    }
    if (bad) {
        flag |= DIVERGED | NONFINITE;
    }
    if (ln.live) {
        results[ln.local] = vec4<f32>(test, train, 0.0, 0.0);
        flags[ln.local] = flag;
    }
}
