//! tanh and the logistic sigmoid as branch-free rational approximations that the compiler
//! vectorises, for the LSTM's gates (five per unit per step: with libm's scalar calls they took
//! most of a training step).
//!
//! The approximation is Eigen's `ptanh_float` (a 13/6-degree rational function on [−7.9, 7.9]),
//! within 5e-7 of tanh (a few ulp); below 4e-4, tanh(x) = x to float precision.

const CLAMP: f32 = 7.905_311;
const A1: f32 = 4.893_524_6e-3;
const A3: f32 = 6.372_619_3e-4;
const A5: f32 = 1.485_722_4e-5;
const A7: f32 = 5.122_297e-8;
const A9: f32 = -8.604_672e-11;
const A11: f32 = 2.000_188e-13;
const A13: f32 = -2.760_768_5e-16;
const B0: f32 = 4.893_525e-3;
const B2: f32 = 2.268_434_6e-3;
const B4: f32 = 1.185_347_1e-4;
const B6: f32 = 1.198_258_4e-6;

#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let tiny = x.abs() < 4e-4;
    let x_c = x.clamp(-CLAMP, CLAMP);
    let x2 = x_c * x_c;
    let p = ((((((A13 * x2 + A11) * x2 + A9) * x2 + A7) * x2 + A5) * x2 + A3) * x2 + A1) * x_c;
    let q = ((B6 * x2 + B4) * x2 + B2) * x2 + B0;
    if tiny { x } else { p / q }
}

#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    0.5 + 0.5 * tanh(0.5 * x)
}

/// Applies `f` to every value: a plain loop the compiler unrolls and vectorises.
#[inline(always)]
pub fn map_in_place(values: &mut [f32], f: impl Fn(f32) -> f32) {
    for v in values {
        *v = f(*v);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn approximations_match_libm() {
        let mut worst = (0.0f32, 0.0f32);
        for i in -20_000..=20_000 {
            let x = i as f32 * 1e-3;
            worst.0 = worst.0.max((super::tanh(x) - x.tanh()).abs());
            worst.1 = worst.1.max((super::sigmoid(x) - 1.0 / (1.0 + (-x).exp())).abs());
        }
        assert!(worst.0 < 5e-7 && worst.1 < 5e-7, "worst errors {worst:?}");
        assert_eq!(super::tanh(1e-5), 1e-5);
        assert_eq!(super::tanh(100.0), super::tanh(8.0));
    }
}
