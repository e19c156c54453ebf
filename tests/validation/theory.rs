//! Closed-form results of queueing theory used as references.

/// Erlang B: blocking probability of an M/M/c/c system with offered load `a` = lambda / mu.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    // The stable recursion B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1.
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// Erlang C: probability that an arrival waits in an M/M/c queue with load `a` = lambda / mu.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let b = erlang_b(c, a);
    let rho = a / f64::from(c);
    b / (1.0 - rho * (1.0 - b))
}

/// Mean waiting time in queue of an M/M/c queue.
pub fn mmc_wait(c: u32, lambda: f64, mu: f64) -> f64 {
    erlang_c(c, lambda / mu) / (f64::from(c) * mu - lambda)
}

/// Stationary distribution of the number in an M/M/c/K system (K = total capacity).
pub fn mmck_distribution(c: u32, k: u32, lambda: f64, mu: f64) -> Vec<f64> {
    let mut p = vec![1.0];
    for n in 1..=k {
        let servers = f64::from(n.min(c));
        let next = p[(n - 1) as usize] * lambda / (servers * mu);
        p.push(next);
    }
    let total: f64 = p.iter().sum();
    p.iter().map(|x| x / total).collect()
}

/// Pollaczek-Khinchine mean wait of an M/G/1 queue with service mean `s` and
/// squared coefficient of variation `scv`.
pub fn mg1_wait(lambda: f64, s: f64, scv: f64) -> f64 {
    let rho = lambda * s;
    rho * s * (1.0 + scv) / (2.0 * (1.0 - rho))
}

#[test]
fn formulas_match_published_values() {
    // Erlang B(4, 3) = 3.375 / 16.375; Erlang C(2, 1) = 1/3.
    assert!((erlang_b(4, 3.0) - 3.375 / 16.375).abs() < 1e-12);
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    // M/M/1 as M/M/c with c = 1: Wq = rho / (mu - lambda).
    assert!((mmc_wait(1, 0.5, 1.0) - 1.0).abs() < 1e-12);
    // M/M/1/K with K = 1 is Erlang B with c = 1.
    let p = mmck_distribution(1, 1, 2.0, 1.0);
    assert!((p[1] - erlang_b(1, 2.0)).abs() < 1e-12);
}
