// The high 32 bits of a * b with one 64-bit multiply (SHADER_INT64).
fn mulhi(a: u32, b: u32) -> u32 {
    return u32((u64(a) * u64(b)) >> 32u);
}
