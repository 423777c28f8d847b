// The network study's kernels (src/backend/gpu/network.rs): SGD on one MLP,
// one workgroup per run. Assembled after the generated constants (WG,
// PHILOX_*, STREAM_SHUFFLE: src/backend/gpu/shader.rs), philox.wgsl, math.wgsl
// and the network's generated prelude (P, D, K, NL, U, TILE, STREAM_INIT,
// STREAM_BATCH, struct Layer and fn layer(h): src/backend/gpu/network.rs).
//
// A run's θ (p ≈ 1000 f32) does not fit in one invocation's registers, so a
// workgroup holds it in workgroup memory with the last two gradients and one
// tile's pre-activations and δ, and its WG invocations share the work of each
// pass: a layer's (unit, sample) dot products, the parameters' gradient sums,
// the samples' softmax. The data sets are read from storage: every run reads
// the same few kilobytes, which stay in the caches of a GPU.
//
// The host runs a chunk of runs through five kernels (src/backend/gpu/network.rs):
// `init` (θ₀), `steps` (SGD steps t0 .. t1, and ‖g_t‖, cos(g_t, g_{t−1}) of a
// recorded step), `evaluate` (a range of tiles of the training or test set at
// θ, into per-invocation partial sums kept per run), `record` and
// `record_test` (the partial sums and norms into the recorded values, and the
// divergence test). Between kernels a run's θ, last gradient, norms and
// partial sums wait in `state`.
//
// The passes are those of src/network/kernel.rs, in tiles of TILE samples
// instead of 8 and in f32: the same products in the same order (fused
// multiply-adds over a layer's inputs from the bias, over a tile's samples
// from 0 or the tiles before), the same stable softmax cross-entropy with
// σ′(0) = ½, the same random numbers (θ₀ from Stream::Init, batches from
// Stream::Batch or the shuffled epochs of Stream::Shuffle), so a run is the
// CPU's run to f32 rounding.

struct Config {
    seed: vec2<u32>,
    runs: u32,          // runs in this chunk
    run0: u32,          // global index of the chunk's first run
    t0: u32,            // steps: steps t0 .. t1; record, record_test: step t0
    t1: u32,
    steps: u32,         // T
    batch: u32,         // m
    n: u32,             // training points
    n_test: u32,        // test points (0: none)
    test_x: u32,        // offset of the test features in `data`
    record: u32,        // steps: 1 if its single step is recorded (its norms kept)
    slot: u32,          // evaluate: partial sums' slot, 0 and 1 the training set at θ_t by t & 1, 2 the test set
    tile0: u32,         // evaluate: tiles tile0 .. tile1 of the set
    tile1: u32,
    index: u32,         // record, record_test: the record's index
    records: u32,       // recorded steps
    tests: u32,         // test steps
    shuffled: u32,      // 1: shuffled epochs, 0: with replacement
    he: u32,            // 1: He's θ₀, 0: N(0, I)
    groups_x: u32,      // workgroups along x (2-D dispatch beyond 65535)
    eta: f32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<uniform> cfg: Config;
// The training features (row-major, n × D), then the test features at cfg.test_x.
@group(0) @binding(1) var<storage, read_write> data: array<f32>;
// The training labels, the test set's clean labels, its noisy labels.
@group(0) @binding(2) var<storage, read_write> labels: array<u32>;
// Per run, RUN_STATE values: θ (P), the gradient of the last step run (P),
// ‖g_t‖ and cos(g_t, g_{t−1}) of the last recorded step (and two unused), then
// per slot and invocation s < TILE the partial sums (loss, correct, noisy
// loss, noisy correct) over the samples s, s + TILE, … of an evaluation.
@group(0) @binding(3) var<storage, read_write> state: array<f32>;
// Per run: the step it diverged at (NONE), the epoch whose order follows
// (NONE), then with shuffled epochs that order (n).
@group(0) @binding(4) var<storage, read_write> marks: array<u32>;
// Metric m at record k of run r at (m · records + k) · runs + r, then test
// metric m at test k at 5 · records · runs + (m · tests + k) · runs + r:
// src/network/train.rs's Trace layout. The host fills it with NaN.
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

const NONE: u32 = 0xFFFFFFFFu;
// Row stride of a tile's per-unit values: TILE + 1 keeps the reads of one
// sample's consecutive units on distinct banks.
const STRIDE: u32 = TILE + 1u;
const NORMS: u32 = 2u * P;
const PARTIALS: u32 = 2u * P + 4u;
const RUN_STATE: u32 = PARTIALS + 12u * TILE;

var<workgroup> theta: array<f32, P>;
// The gradient of step t at (t & 1) · P: this step's and the one before.
var<workgroup> grads: array<f32, 2u * P>;
// Pre-activations (logits last) of a tile, unit u of sample s at u · STRIDE + s.
var<workgroup> z: array<f32, U * STRIDE>;
// ∂loss/∂z, laid out as z.
var<workgroup> delta: array<f32, U * STRIDE>;
// The point each sample of the tile is.
var<workgroup> points: array<u32, TILE>;
var<workgroup> red: array<vec4<f32>, WG>;
// The step at which the run diverged, NONE while it has not.
var<workgroup> diverged: u32;
// The epoch whose order `marks` holds (invocation 0 only).
var<workgroup> epoch_held: u32;

// This workgroup's run within the chunk (cfg.runs or more: none).
fn local_run(wid: vec3<u32>) -> u32 {
    return wid.y * cfg.groups_x + wid.x;
}

// Where the run's marks start.
fn mark_of(local: u32) -> u32 {
    return local * (2u + cfg.shuffled * cfg.n);
}

// Whether the run is still live (not diverged), as a workgroup-uniform value.
fn live(local: u32, lid: u32) -> bool {
    if (lid == 0u) {
        diverged = marks[mark_of(local)];
    }
    return workgroupUniformLoad(&diverged) == NONE;
}

// θ from `state` into workgroup memory.
fn load_theta(lid: u32, saved: u32) {
    for (var q = lid; q < P; q += WG) {
        theta[q] = state[saved + q];
    }
}

// The ReLU's σ′ with σ′(0) = ½ (0 for a NaN), and the activation z·σ′(z).
fn slope(v: f32) -> f32 {
    return select(select(0.0, 0.5, v == 0.0), 1.0, v > 0.0);
}

fn act(v: f32) -> f32 {
    return v * slope(v);
}

// ln(1 + x) for x >= 0, accurate to f32 rounding near 0 (where the built-in
// log, good to 2^-21 absolute near 1 under Vulkan's rules, is not): 2 atanh(s)
// with s = x / (2 + x) <= 1/3 (philox.wgsl's atanh_small).
fn log1p(x: f32) -> f32 {
    if (x > 1.0) {
        return log(1.0 + x);
    }
    return 2.0 * atanh_small(x / (2.0 + x));
}

// The layer parameter q belongs to.
fn layer_of(q: u32) -> u32 {
    var h = 0u;
    while (h + 1u < NL && q >= layer(h).biases + layer(h).outputs) {
        h++;
    }
    return h;
}

// Sums `v` over the workgroup, or with `maximum` takes its largest entries (a
// fixed tree: the same bits every time).
fn reduce(lid: u32, v: vec4<f32>, maximum: bool) -> vec4<f32> {
    red[lid] = v;
    workgroupBarrier();
    for (var half = WG / 2u; half > 0u; half /= 2u) {
        if (lid < half) {
            let a = red[lid];
            let b = red[lid + half];
            red[lid] = select(a + b, max(a, b), maximum);
        }
        workgroupBarrier();
    }
    let total = red[0];
    workgroupBarrier();
    return total;
}

// The pre-activations of every layer for the S samples of the tile (`points`);
// layer 0 reads the features of the set starting at x0.
fn forward(lid: u32, S: u32, x0: u32) {
    for (var h = 0u; h < NL; h++) {
        let l = layer(h);
        for (var idx = lid; idx < S * l.outputs; idx += WG) {
            let s = idx % S;
            let o = idx / S;
            let w = l.weights + o * l.inputs;
            var acc = theta[l.biases + o];
            if (h == 0u) {
                let x = x0 + points[s] * D;
                for (var i = 0u; i < D; i++) {
                    acc = fma(data[x + i], theta[w + i], acc);
                }
            } else {
                let a = l.zin * STRIDE + s;
                for (var i = 0u; i < l.inputs; i++) {
                    acc = fma(act(z[a + i * STRIDE]), theta[w + i], acc);
                }
            }
            z[(l.zout + o) * STRIDE + s] = acc;
        }
        workgroupBarrier();
    }
}

// Softmax cross-entropy of tile sample s against the labels starting at y0:
// (loss, 1 if the first largest logit is the label). With `grad`, δ of the
// logits = scale · (softmax − one-hot), the label's entry as −Σ_{c≠y} e_c / Σ e
// (no cancellation near p_y = 1), as src/network/kernel.rs's `head`.
fn head(s: u32, y0: u32, grad: bool, scale: f32) -> vec2<f32> {
    let base = layer(NL - 1u).zout * STRIDE + s;
    let label = labels[y0 + points[s]];
    var top = z[base];
    var arg = 0u;
    for (var c = 1u; c < K; c++) {
        let v = z[base + c * STRIDE];
        if (v > top) {
            top = v;
            arg = c;
        }
    }
    // e_c = exp(z_c − max) <= 1: `rest` sums all but the argmax's, `others`
    // all but the label's.
    var rest = 0.0;
    var others = 0.0;
    var zy = 0.0;
    for (var c = 0u; c < K; c++) {
        let v = z[base + c * STRIDE];
        let e = exp(v - top);
        rest += select(e, 0.0, c == arg);
        others += select(e, 0.0, c == label);
        zy += select(0.0, v, c == label);
        if (grad) {
            delta[base + c * STRIDE] = e;
        }
    }
    if (grad) {
        let norm = scale / (1.0 + rest);
        for (var c = 0u; c < K; c++) {
            let i = base + c * STRIDE;
            delta[i] = select(delta[i], -others, c == label) * norm;
        }
    }
    return vec2<f32>((top - zy) + log1p(rest), select(0.0, 1.0, arg == label));
}

// δ of every hidden layer from the logits' down: (Wᵀ δ) ⊙ σ′(z).
fn backward(lid: u32, S: u32) {
    for (var h = NL - 1u; h > 0u; h--) {
        let l = layer(h);
        for (var idx = lid; idx < S * l.inputs; idx += WG) {
            let s = idx % S;
            let i = idx / S;
            var acc = 0.0;
            for (var o = 0u; o < l.outputs; o++) {
                acc = fma(theta[l.weights + o * l.inputs + i], delta[(l.zout + o) * STRIDE + s], acc);
            }
            let at = (l.zin + i) * STRIDE + s;
            delta[at] = acc * slope(z[at]);
        }
        workgroupBarrier();
    }
}

// Adds the tile's gradient to the one at g0 (writes it, for the first tile):
// ∂W[o][i] = Σ_s δ[o][s] x(s, i), ∂b[o] = Σ_s δ[o][s].
fn accumulate(lid: u32, S: u32, first: bool, g0: u32) {
    for (var q = lid; q < P; q += WG) {
        let h = layer_of(q);
        let l = layer(h);
        var acc = select(grads[g0 + q], 0.0, first);
        if (q >= l.biases) {
            let d = (l.zout + q - l.biases) * STRIDE;
            for (var s = 0u; s < S; s++) {
                acc += delta[d + s];
            }
        } else {
            let o = (q - l.weights) / l.inputs;
            let i = (q - l.weights) % l.inputs;
            let d = (l.zout + o) * STRIDE;
            if (h == 0u) {
                for (var s = 0u; s < S; s++) {
                    acc = fma(delta[d + s], data[points[s] * D + i], acc);
                }
            } else {
                let a = (l.zin + i) * STRIDE;
                for (var s = 0u; s < S; s++) {
                    acc = fma(delta[d + s], act(z[a + s]), acc);
                }
            }
        }
        grads[g0 + q] = acc;
    }
}

// Epoch `epoch`'s order of run `run` into marks[at ..]: Fisher-Yates from the
// identity, position j (top down) swapped with below(word(epoch n + j), j + 1)
// of Stream::Shuffle (src/rng.rs's `shuffle`). One invocation.
fn shuffle(run: u32, epoch: u32, at: u32) {
    let n = cfg.n;
    for (var j = 0u; j < n; j++) {
        marks[at + j] = j;
    }
    var block = NONE;
    var words = vec4<u32>(0u);
    for (var j = n - 1u; j >= 1u; j--) {
        let k = shuffle_partner(cfg.seed, run, epoch, n, j, &block, &words);
        let tmp = marks[at + j];
        marks[at + j] = marks[at + k];
        marks[at + k] = tmp;
    }
}

// The points of samples s0 .. s0 + S of step t's batch into `points`: with
// replacement, below(word(t m + s), n) of Stream::Batch; shuffled, position
// q = t m + s of the epochs' orders (src/network/sampler.rs).
fn draw(lid: u32, run: u32, t: u32, s0: u32, S: u32, mark: u32) {
    if (cfg.shuffled == 0u) {
        if (lid < S) {
            let e = t * cfg.batch + s0 + lid;
            let words = rng_block(cfg.seed, run, STREAM_BATCH, e >> 2u);
            points[lid] = mulhi(words[e & 3u], cfg.n);
        }
    } else if (lid == 0u) {
        for (var s = 0u; s < S; s++) {
            let q = t * cfg.batch + s0 + s;
            let epoch = q / cfg.n;
            if (epoch != epoch_held) {
                shuffle(run, epoch, mark + 2u);
                epoch_held = epoch;
            }
            points[s] = marks[mark + 2u + q % cfg.n];
        }
    }
    workgroupBarrier();
}

// The gradient of step t's batch at θ into grads[g0 ..].
fn gradient(lid: u32, run: u32, t: u32, mark: u32, g0: u32) {
    let m = cfg.batch;
    let scale = 1.0 / f32(m);
    for (var s0 = 0u; s0 < m; s0 += TILE) {
        let S = min(TILE, m - s0);
        draw(lid, run, t, s0, S, mark);
        forward(lid, S, 0u);
        if (lid < S) {
            head(lid, 0u, true, scale);
        }
        workgroupBarrier();
        backward(lid, S);
        accumulate(lid, S, s0 == 0u, g0);
        workgroupBarrier();
    }
}

// ‖g_t‖ and cos(g_t, g_{t−1}) (NaN at t = 0, no g_{−1}) into the run's
// norms, g_t at g0 and g_{t−1} in the other half of `grads`. Each is scaled by
// a power of two near its largest entry first, so that the sums of squares
// neither overflow nor underflow f32 where the CPU's f64 does not.
fn norms(lid: u32, t: u32, g0: u32, saved: u32) {
    var top = vec4<f32>(0.0);
    for (var q = lid; q < P; q += WG) {
        top = max(top, vec4<f32>(abs(grads[g0 + q]), abs(grads[P - g0 + q]), 0.0, 0.0));
    }
    top = reduce(lid, top, true);
    let eg = frexp(top.x).exp;
    let ep = frexp(top.y).exp;
    var sums = vec4<f32>(0.0);
    for (var q = lid; q < P; q += WG) {
        let g = ldexp(grads[g0 + q], -eg);
        let p = ldexp(grads[P - g0 + q], -ep);
        sums.x = fma(g, g, sums.x);
        sums.y = fma(g, p, sums.y);
        sums.z = fma(p, p, sums.z);
    }
    sums = reduce(lid, sums, false);
    if (lid == 0u) {
        let norm = sqrt(sums.x);
        state[saved + NORMS] = ldexp(norm, eg);
        state[saved + NORMS + 1u] = select(bitcast<f32>(0x7FC00000u), sums.y / (norm * sqrt(sums.z)), t > 0u);
    }
}

// θ₀ of each run: parameter q from normal element q of (seed, run,
// Stream::Init), scaled by √(2 / fan-in) for a weight and 0 for a bias under
// He's init; the run not diverged, its first epoch not drawn.
@compute @workgroup_size(WG)
fn init(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let local = local_run(wid);
    if (local >= cfg.runs) {
        return;
    }
    let saved = local * RUN_STATE;
    for (var b = lid; 4u * b < P; b += WG) {
        let zs = normals4(rng_block(cfg.seed, cfg.run0 + local, STREAM_INIT, b));
        for (var j = 0u; j < 4u; j++) {
            let q = 4u * b + j;
            if (q < P) {
                var scale = 1.0;
                if (cfg.he != 0u) {
                    let l = layer(layer_of(q));
                    scale = select(sqrt(2.0 / f32(l.inputs)), 0.0, q >= l.biases);
                }
                state[saved + q] = zs[j] * scale;
            }
        }
    }
    if (lid == 0u) {
        let mark = mark_of(local);
        marks[mark] = NONE;
        marks[mark + 1u] = NONE;
    }
}

// SGD steps t0 .. t1 (θ ← θ − η g_t); with cfg.record, ‖g_t‖ and
// cos(g_t, g_{t−1}) of its one step.
@compute @workgroup_size(WG)
fn steps(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let local = local_run(wid);
    if (local >= cfg.runs) {
        return;
    }
    if (!live(local, lid)) {
        return;
    }
    let run = cfg.run0 + local;
    let mark = mark_of(local);
    let saved = local * RUN_STATE;
    // g_{t0−1} sits where step t0 − 1 would have left it.
    let before = ((cfg.t0 + 1u) & 1u) * P;
    for (var q = lid; q < P; q += WG) {
        theta[q] = state[saved + q];
        grads[before + q] = state[saved + P + q];
    }
    if (lid == 0u) {
        epoch_held = marks[mark + 1u];
    }
    workgroupBarrier();
    for (var t = cfg.t0; t < cfg.t1; t++) {
        let g0 = (t & 1u) * P;
        gradient(lid, run, t, mark, g0);
        if (cfg.record != 0u) {
            norms(lid, t, g0, saved);
        }
        for (var q = lid; q < P; q += WG) {
            theta[q] = fma(-cfg.eta, grads[g0 + q], theta[q]);
        }
        workgroupBarrier();
    }
    let last = ((cfg.t1 + 1u) & 1u) * P;
    for (var q = lid; q < P; q += WG) {
        state[saved + q] = theta[q];
        state[saved + P + q] = grads[last + q];
    }
    if (lid == 0u) {
        marks[mark + 1u] = epoch_held;
    }
}

// Tiles cfg.tile0 .. cfg.tile1 of an evaluation at θ: the training set
// (slots 0, 1) or the test set with its clean and noisy labels (slot 2).
// Invocation s < TILE adds the loss and correctness of its samples s, s + TILE,
// … to its partial sums of the slot (starting them at tile 0), so that the
// sums do not depend on how the tiles were split between dispatches.
@compute @workgroup_size(WG)
fn evaluate(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let local = local_run(wid);
    if (local >= cfg.runs) {
        return;
    }
    if (!live(local, lid)) {
        return;
    }
    let saved = local * RUN_STATE;
    load_theta(lid, saved);
    let test = cfg.slot == 2u;
    let count = select(cfg.n, cfg.n_test, test);
    let x0 = select(0u, cfg.test_x, test);
    let y0 = select(0u, cfg.n, test);
    let part = saved + PARTIALS + 4u * (cfg.slot * TILE + min(lid, TILE - 1u));
    var sums = vec4<f32>(0.0);
    if (lid < TILE && cfg.tile0 > 0u) {
        sums = vec4<f32>(state[part], state[part + 1u], state[part + 2u], state[part + 3u]);
    }
    workgroupBarrier();
    for (var tile = cfg.tile0; tile < cfg.tile1; tile++) {
        let j0 = tile * TILE;
        let S = min(TILE, count - j0);
        if (lid < S) {
            points[lid] = j0 + lid;
        }
        workgroupBarrier();
        forward(lid, S, x0);
        if (lid < S) {
            let a = head(lid, y0, false, 0.0);
            sums.x += a.x;
            sums.y += a.y;
            if (test) {
                let b = head(lid, y0 + cfg.n_test, false, 0.0);
                sums.z += b.x;
                sums.w += b.y;
            }
        }
        workgroupBarrier();
    }
    if (lid < TILE) {
        for (var i = 0u; i < 4u; i++) {
            state[part + i] = sums[i];
        }
    }
}

// The sums of a slot's partial sums, in invocation order.
fn total(saved: u32, slot: u32) -> vec4<f32> {
    var sum = vec4<f32>(0.0);
    for (var s = 0u; s < TILE; s++) {
        let at = saved + PARTIALS + 4u * (slot * TILE + s);
        sum += vec4<f32>(state[at], state[at + 1u], state[at + 2u], state[at + 3u]);
    }
    return sum;
}

// Record cfg.index of step t = cfg.t0 (after `evaluate` of θ_t into slot
// t & 1, `steps` of t with its norms, `evaluate` of θ_{t+1} into the other):
// f(θ_t), its accuracy, ‖g_t‖, cos(g_t, g_{t−1}) and
// Δ_t = f(θ_{t+1}) − f(θ_t); a non-finite f(θ_t), ‖g_t‖ or f(θ_{t+1}) marks
// the run diverged at t instead (src/network/block.rs).
@compute @workgroup_size(1)
fn record(@builtin(workgroup_id) wid: vec3<u32>) {
    let local = local_run(wid);
    if (local >= cfg.runs || marks[mark_of(local)] != NONE) {
        return;
    }
    let t = cfg.t0;
    let saved = local * RUN_STATE;
    let before = total(saved, t & 1u) / f32(cfg.n);
    let after = total(saved, (t + 1u) & 1u) / f32(cfg.n);
    let norm = state[saved + NORMS];
    let cosine = state[saved + NORMS + 1u];
    if (nonfinite(before.x) || nonfinite(norm) || nonfinite(after.x)) {
        marks[mark_of(local)] = t;
        return;
    }
    var v = array<f32, 5>(before.x, before.y, norm, cosine, after.x - before.x);
    for (var m = 0u; m < 5u; m++) {
        out[(m * cfg.records + cfg.index) * cfg.runs + local] = v[m];
    }
}

// Test record cfg.index of step t = cfg.t0 (after `evaluate` of the test set
// at θ_t into slot 2): loss and accuracy on the clean and the noisy labels;
// a non-finite clean loss marks the run diverged at t instead.
@compute @workgroup_size(1)
fn record_test(@builtin(workgroup_id) wid: vec3<u32>) {
    let local = local_run(wid);
    if (local >= cfg.runs || marks[mark_of(local)] != NONE) {
        return;
    }
    let v = total(local * RUN_STATE, 2u) / f32(cfg.n_test);
    if (nonfinite(v.x)) {
        marks[mark_of(local)] = cfg.t0;
        return;
    }
    let tests = 5u * cfg.records * cfg.runs;
    for (var m = 0u; m < 4u; m++) {
        out[tests + (m * cfg.tests + cfg.index) * cfg.runs + local] = v[m];
    }
}
