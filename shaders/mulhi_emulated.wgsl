// The high 32 bits of a * b from 16-bit halves, for adapters without 64-bit
// integers (WGSL core has none).
fn mulhi(a: u32, b: u32) -> u32 {
    let a0 = a & 0xFFFFu;
    let a1 = a >> 16u;
    let b0 = b & 0xFFFFu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 16u) + (p10 & 0xFFFFu) + p01;
    return p11 + (p10 >> 16u) + (mid >> 16u);
}
