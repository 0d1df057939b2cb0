//! Paired timing: two functions measured in alternating batches. The benches use it, and so
//! does the `sign_verify_loop` example, which includes this file by path.

use std::time::Instant;

/// The ratio of the time per call of `theirs` to that of `ours`, measured in alternating
/// batches of about 2 ms, or of one call where a call takes longer (which side goes first
/// alternates too), so that a load change on a shared machine hits both alike. Returns the
/// median, lowest and highest of `rounds` per-round ratios. A complement to criterion's
/// separate measurements, not a replacement.
pub fn paired_ratio(
    mut ours: impl FnMut(),
    mut theirs: impl FnMut(),
    rounds: usize,
) -> (f64, f64, f64) {
    fn per_call(f: &mut dyn FnMut(), n: u32) -> f64 {
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        start.elapsed().as_secs_f64() / f64::from(n)
    }
    /// Calls per batch, after a warm-up of 200 calls, or of about 20 ms of them for a function
    /// as slow as hashing 64 MiB (40 ms a call).
    fn batch(f: &mut dyn FnMut()) -> u32 {
        let first = per_call(f, 1);
        let n = ((20e-3 / first) as u32).clamp(1, 200);
        per_call(f, n); // warm-up
        let once = per_call(f, n);
        ((2e-3 / once) as u32).clamp(1, 1_000_000)
    }
    let (n_ours, n_theirs) = (batch(&mut ours), batch(&mut theirs));
    let mut ratios: Vec<f64> = (0..rounds)
        .map(|round| {
            if round % 2 == 0 {
                let a = per_call(&mut ours, n_ours);
                per_call(&mut theirs, n_theirs) / a
            } else {
                let b = per_call(&mut theirs, n_theirs);
                b / per_call(&mut ours, n_ours)
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    (ratios[rounds / 2], ratios[0], ratios[rounds - 1])
}
