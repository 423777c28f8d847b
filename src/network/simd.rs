//! The register type of the kernels' inner loops: one value of each of L
//! networks, held as `[f64; L]` in memory and as an [`Reg`] in registers.
//!
//! LLVM splits loop-carried `[f64; 4]` accumulators into scalars and
//! repacks them every iteration; a vector type from the start keeps them in
//! vector registers. On x86-64 [`Avx`] (four f64 in a `__m256d`) and
//! [`Avx512`] (eight in a `__m512d`) are that type, used only inside the
//! AVX2+FMA and AVX-512 builds that `super::train` chooses at run time; the
//! portable `[f64; L]` serves every other case. All round identically: a
//! fused multiply-add is exactly rounded whichever computes it, and the
//! vector exponentials repeat [`crate::fastmath::exp`] operation for
//! operation.

/// One value of each of L networks, in registers.
pub trait Reg<const L: usize>: Copy {
    /// The largest tile for which the dense kernels compute two output
    /// units together: 2 × S independent accumulators hide the FMA latency
    /// where S alone is short, as long as they fit in the registers (16 with
    /// AVX2: a tile of 7 or 8 has latency enough with one unit; 32 with
    /// AVX-512: always two).
    const PAIR_TILE: usize = 6;

    /// Loads from memory.
    fn load(x: &[f64; L]) -> Self;
    /// Stores to memory.
    fn store(self, x: &mut [f64; L]);
    /// Every lane `x`.
    fn splat(x: f64) -> Self;
    /// `self · b + c`, rounded once.
    fn mul_add(self, b: Self, c: Self) -> Self;
    /// `self · b`.
    fn mul(self, b: Self) -> Self;
    /// `self + b`.
    fn add(self, b: Self) -> Self;
    /// The ReLU with the paper's σ′(0) = ½ (App. B.5.1): (z·σ′(z), σ′(z))
    /// with σ′(z) = 1, ½, 0 for z > 0, = 0, < 0; a NaN gets σ′ = 0, and z·0
    /// keeps it NaN.
    fn relu(self) -> (Self, Self);
    /// [`crate::fastmath::exp`] of each lane, to the bit (the AVX build
    /// repeats its operations one for one: tests compare the two builds'
    /// trajectories bit for bit).
    fn exp(self) -> Self;
}

impl<const L: usize> Reg<L> for [f64; L] {
    #[inline(always)]
    fn load(x: &[f64; L]) -> Self {
        *x
    }
    #[inline(always)]
    fn store(self, x: &mut [f64; L]) {
        *x = self;
    }
    #[inline(always)]
    fn splat(x: f64) -> Self {
        [x; L]
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        std::array::from_fn(|l| self[l].mul_add(b[l], c[l]))
    }
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        std::array::from_fn(|l| self[l] * b[l])
    }
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        std::array::from_fn(|l| self[l] + b[l])
    }
    #[inline(always)]
    fn relu(self) -> (Self, Self) {
        let slope: Self = self.map(|z| {
            if z > 0.0 {
                1.0
            } else if z == 0.0 {
                0.5
            } else {
                0.0
            }
        });
        (self.mul(slope), slope)
    }
    #[inline(always)]
    fn exp(self) -> Self {
        self.map(crate::fastmath::exp)
    }
}

/// Four f64 lanes in an AVX register. Only sound where the processor has
/// AVX2 and FMA (the code using it runs only after that check).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub struct Avx(std::arch::x86_64::__m256d);

#[cfg(target_arch = "x86_64")]
mod avx {
    use super::{Avx, Reg};
    use crate::fastmath::exp_constants::*;
    use std::arch::x86_64::*;

    // SAFETY (every block below): `Avx` values exist only in code that runs
    // after the processor was found to have AVX2 and FMA; loads and stores
    // go through references to four f64.
    impl Reg<4> for Avx {
        #[inline(always)]
        fn load(x: &[f64; 4]) -> Self {
            Avx(unsafe { _mm256_loadu_pd(x.as_ptr()) })
        }
        #[inline(always)]
        fn store(self, x: &mut [f64; 4]) {
            unsafe { _mm256_storeu_pd(x.as_mut_ptr(), self.0) }
        }
        #[inline(always)]
        fn splat(x: f64) -> Self {
            Avx(unsafe { _mm256_set1_pd(x) })
        }
        #[inline(always)]
        fn mul_add(self, b: Self, c: Self) -> Self {
            Avx(unsafe { _mm256_fmadd_pd(self.0, b.0, c.0) })
        }
        #[inline(always)]
        fn mul(self, b: Self) -> Self {
            Avx(unsafe { _mm256_mul_pd(self.0, b.0) })
        }
        #[inline(always)]
        fn add(self, b: Self) -> Self {
            Avx(unsafe { _mm256_add_pd(self.0, b.0) })
        }
        #[inline(always)]
        fn relu(self) -> (Self, Self) {
            unsafe {
                let zero = _mm256_setzero_pd();
                // Ordered comparisons: false for a NaN.
                let positive = _mm256_and_pd(_mm256_cmp_pd::<_CMP_GT_OQ>(self.0, zero), _mm256_set1_pd(1.0));
                let kink = _mm256_and_pd(_mm256_cmp_pd::<_CMP_EQ_OQ>(self.0, zero), _mm256_set1_pd(0.5));
                let slope = _mm256_or_pd(positive, kink);
                (Avx(_mm256_mul_pd(self.0, slope)), Avx(slope))
            }
        }
        #[inline(always)]
        fn exp(self) -> Self {
            // `crate::fastmath::exp`, operation for operation (no fused
            // products: it has none): clamp, split x·log2(e) = k + r/ln 2 by
            // the rounding constant, Cody–Waite r, Taylor series, × 2^k.
            unsafe {
                let set = _mm256_set1_pd;
                // max(lo, x) and min(hi, ·) return a NaN x, as f64::clamp does.
                let x = _mm256_min_pd(set(709.0), _mm256_max_pd(set(-708.0), self.0));
                let y = _mm256_add_pd(_mm256_mul_pd(x, set(std::f64::consts::LOG2_E)), set(ROUND_MAGIC));
                let k = _mm256_sub_epi64(_mm256_castpd_si256(y), _mm256_castpd_si256(set(ROUND_MAGIC)));
                let kf = _mm256_sub_pd(y, set(ROUND_MAGIC));
                let r = _mm256_sub_pd(_mm256_sub_pd(x, _mm256_mul_pd(kf, set(LN2_HI))), _mm256_mul_pd(kf, set(LN2_LO)));
                let mut p = set(1.0 / LEADING);
                for d in DIVISORS {
                    p = _mm256_add_pd(_mm256_mul_pd(p, r), set(1.0 / d));
                }
                let scale = _mm256_castsi256_pd(_mm256_slli_epi64::<52>(_mm256_add_epi64(k, _mm256_set1_epi64x(1023))));
                Avx(_mm256_mul_pd(p, scale))
            }
        }
    }
}

/// Eight f64 lanes in an AVX-512 register. Only sound where the processor
/// has AVX-512F (the code using it runs only after that check).
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub struct Avx512(std::arch::x86_64::__m512d);

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Avx512, Reg};
    use crate::fastmath::exp_constants::*;
    use std::arch::x86_64::*;

    // SAFETY (every block below): `Avx512` values exist only in code that
    // runs after the processor was found to have AVX-512F; loads and stores
    // go through references to eight f64.
    impl Reg<8> for Avx512 {
        const PAIR_TILE: usize = 8;
        #[inline(always)]
        fn load(x: &[f64; 8]) -> Self {
            Avx512(unsafe { _mm512_loadu_pd(x.as_ptr()) })
        }
        #[inline(always)]
        fn store(self, x: &mut [f64; 8]) {
            unsafe { _mm512_storeu_pd(x.as_mut_ptr(), self.0) }
        }
        #[inline(always)]
        fn splat(x: f64) -> Self {
            Avx512(unsafe { _mm512_set1_pd(x) })
        }
        #[inline(always)]
        fn mul_add(self, b: Self, c: Self) -> Self {
            Avx512(unsafe { _mm512_fmadd_pd(self.0, b.0, c.0) })
        }
        #[inline(always)]
        fn mul(self, b: Self) -> Self {
            Avx512(unsafe { _mm512_mul_pd(self.0, b.0) })
        }
        #[inline(always)]
        fn add(self, b: Self) -> Self {
            Avx512(unsafe { _mm512_add_pd(self.0, b.0) })
        }
        #[inline(always)]
        fn relu(self) -> (Self, Self) {
            unsafe {
                let zero = _mm512_setzero_pd();
                // Ordered comparisons: false for a NaN.
                let positive = _mm512_cmp_pd_mask::<_CMP_GT_OQ>(self.0, zero);
                let kink = _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(self.0, zero);
                let half = _mm512_maskz_mov_pd(kink, _mm512_set1_pd(0.5));
                let slope = _mm512_mask_blend_pd(positive, half, _mm512_set1_pd(1.0));
                (Avx512(_mm512_mul_pd(self.0, slope)), Avx512(slope))
            }
        }
        #[inline(always)]
        fn exp(self) -> Self {
            // As `Avx::exp`, eight lanes wide.
            unsafe {
                let set = _mm512_set1_pd;
                // max(lo, x) and min(hi, ·) return a NaN x, as f64::clamp does.
                let x = _mm512_min_pd(set(709.0), _mm512_max_pd(set(-708.0), self.0));
                let y = _mm512_add_pd(_mm512_mul_pd(x, set(std::f64::consts::LOG2_E)), set(ROUND_MAGIC));
                let k = _mm512_sub_epi64(_mm512_castpd_si512(y), _mm512_castpd_si512(set(ROUND_MAGIC)));
                let kf = _mm512_sub_pd(y, set(ROUND_MAGIC));
                let r = _mm512_sub_pd(_mm512_sub_pd(x, _mm512_mul_pd(kf, set(LN2_HI))), _mm512_mul_pd(kf, set(LN2_LO)));
                let mut p = set(1.0 / LEADING);
                for d in DIVISORS {
                    p = _mm512_add_pd(_mm512_mul_pd(p, r), set(1.0 / d));
                }
                let scale = _mm512_castsi512_pd(_mm512_slli_epi64::<52>(_mm512_add_epi64(k, _mm512_set1_epi64(1023))));
                Avx512(_mm512_mul_pd(p, scale))
            }
        }
    }
}
