//! Matrix products for the native engine, as a safe front to the `gemm` crate (the kernels Burn's
//! CPU backend uses: runtime-selected AVX-512/AVX2/NEON micro-kernels, good at small sizes).

/// A read-only strided view of an `rows × cols` matrix.
#[derive(Clone, Copy)]
pub struct View<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> View<'a> {
    /// `data` as a row-major `rows × cols` matrix.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert!(data.len() >= rows * cols, "a {rows}×{cols} matrix needs {} values, got {}", rows * cols, data.len());
        Self { data, rows, cols, row_stride: cols, col_stride: 1 }
    }

    /// Rows of `cols` values that start every `row_stride` values (a column block of a wider
    /// row-major matrix).
    pub fn strided(data: &'a [f32], rows: usize, cols: usize, row_stride: usize) -> Self {
        let needed = if rows == 0 { 0 } else { (rows - 1) * row_stride + cols };
        assert!(
            data.len() >= needed,
            "{rows} rows of {cols} every {row_stride} need {needed} values, got {}",
            data.len()
        );
        Self { data, rows, cols, row_stride, col_stride: 1 }
    }

    /// The transpose, without copying.
    pub fn t(self) -> Self {
        Self { rows: self.cols, cols: self.rows, row_stride: self.col_stride, col_stride: self.row_stride, ..self }
    }
}

/// `out = a · b` (or `out += a · b` when `accumulate`), `out` row-major `a.rows × b.cols`.
pub fn matmul(out: &mut [f32], a: View<'_>, b: View<'_>, accumulate: bool) {
    assert_eq!(a.cols, b.rows, "inner dimensions differ: {}×{} · {}×{}", a.rows, a.cols, b.rows, b.cols);
    let (m, k, n) = (a.rows, a.cols, b.cols);
    assert!(out.len() >= m * n, "the product needs {} values of room, got {}", m * n, out.len());
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            out[..m * n].fill(0.0);
        }
        return;
    }
    // SAFETY: the asserts above and in `View::row_major` keep every index the kernel computes,
    // (rows − 1)·row_stride + (cols − 1)·col_stride, inside its slice; `out` is exclusively
    // borrowed and cannot alias the shared inputs.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_stride as isize,
            a.row_stride as isize,
            b.data.as_ptr(),
            b.col_stride as isize,
            b.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_with_transposed_views_match_the_definition() {
        // a: 2×3, b: 3×2 stored transposed (2×3).
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b_t = [1.0, 0.0, -1.0, 2.0, 1.0, 0.5];
        let mut out = [10.0; 4];
        matmul(&mut out, View::row_major(&a, 2, 3), View::row_major(&b_t, 2, 3).t(), false);
        assert_eq!(out, [-2.0, 5.5, -2.0, 16.0]);
        matmul(&mut out, View::row_major(&a, 2, 3), View::row_major(&b_t, 2, 3).t(), true);
        assert_eq!(out, [-4.0, 11.0, -4.0, 32.0]);
        // aᵀ · a: 3×3
        let mut gram = [0.0; 9];
        matmul(&mut gram, View::row_major(&a, 2, 3).t(), View::row_major(&a, 2, 3), false);
        assert_eq!(gram, [17.0, 22.0, 27.0, 22.0, 29.0, 36.0, 27.0, 36.0, 45.0]);
    }
}
