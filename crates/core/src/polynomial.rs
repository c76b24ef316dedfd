//! Polynomial feature expansion: every monomial of the (normalised) features up to a degree.
//!
//! `polynomial: p` in a regression model means exactly this: the model sees x, x², x·y, ... up to
//! degree p, so a quadratic relationship is linear in the expanded inputs.

/// Number of monomials of degree 1..=degree over `features` variables: C(features + degree, degree) - 1.
pub fn term_count(features: usize, degree: usize) -> usize {
    let mut count: u128 = 1;
    for i in 1..=degree as u128 {
        count = count * (features as u128 + i) / i;
    }
    (count - 1).min(usize::MAX as u128) as usize
}

/// The monomials as lists of feature indices (with repetition), in graded lexicographic order.
pub fn monomials(features: usize, degree: usize) -> Vec<Vec<usize>> {
    let mut all = Vec::new();
    let mut current = Vec::new();
    for d in 1..=degree {
        push_monomials(features, d, 0, &mut current, &mut all);
    }
    all
}

fn push_monomials(
    features: usize,
    remaining: usize,
    start: usize,
    current: &mut Vec<usize>,
    out: &mut Vec<Vec<usize>>,
) {
    if remaining == 0 {
        out.push(current.clone());
        return;
    }
    for f in start..features {
        current.push(f);
        push_monomials(features, remaining - 1, f, current, out);
        current.pop();
    }
}

/// Expands row-major `rows` (n × features) into n × monomials.len().
pub fn expand(rows: &[f32], features: usize, monomials: &[Vec<usize>]) -> Vec<f32> {
    let n = rows.len().checked_div(features).unwrap_or(0);
    let mut out = Vec::with_capacity(n * monomials.len());
    for row in rows.chunks_exact(features) {
        for m in monomials {
            out.push(m.iter().map(|&i| row[i]).product());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_enumeration() {
        for f in 1..5 {
            for d in 1..5 {
                assert_eq!(term_count(f, d), monomials(f, d).len(), "f={f} d={d}");
            }
        }
    }

    #[test]
    fn expands_two_features_to_degree_two() {
        let m = monomials(2, 2);
        assert_eq!(m, vec![vec![0], vec![1], vec![0, 0], vec![0, 1], vec![1, 1]]);
        assert_eq!(expand(&[2.0, 3.0], 2, &m), vec![2.0, 3.0, 4.0, 6.0, 9.0]);
    }
}
