//! Latency histogram (fixed size, so memory does not grow with the number of payouts) and the
//! process's peak resident set size.

use std::time::Duration;

/// Log-linear buckets over microseconds: exact below 64 µs, then 32 buckets per power of two
/// (about 3 % resolution), up to hours.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

const BUCKETS: usize = 64 + 40 * 32;

impl Histogram {
    pub fn new() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
        }
    }

    pub fn record(&mut self, elapsed: Duration) {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let index = index_of(us).min(BUCKETS - 1);
        self.counts[index] += 1;
        self.total += 1;
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
    }

    /// The `q` quantile (0..=1), as the middle of its bucket.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.total == 0 {
            return Duration::ZERO;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Duration::from_micros(middle_of(index));
            }
        }
        Duration::MAX
    }
}

fn index_of(us: u64) -> usize {
    if us < 64 {
        return us as usize;
    }
    let exponent = 63 - us.leading_zeros(); // ≥ 6
    let shift = exponent - 5; // keep the top 6 bits: 32..=63
    let mantissa = (us >> shift) as usize;
    64 + (shift as usize - 1) * 32 + (mantissa - 32)
}

fn middle_of(index: usize) -> u64 {
    if index < 64 {
        return index as u64;
    }
    let shift = (index - 64) / 32 + 1;
    let mantissa = ((index - 64) % 32 + 32) as u64;
    let low = mantissa << shift;
    low + (1u64 << shift) / 2
}

/// `VmHWM` (peak resident set) from /proc/self/status, in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    proc_status_kib("VmHWM:")
}

/// `VmRSS` (current resident set), in KiB.
pub fn rss_kib() -> Option<u64> {
    proc_status_kib("VmRSS:")
}

fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Resets `VmHWM` to the current RSS (Linux: writing 5 to /proc/self/clear_refs), so each arm's
/// peak is its own. Returns false where that is not allowed.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", b"5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_trip_within_four_percent() {
        for us in [
            0u64, 1, 63, 64, 65, 100, 1_000, 12_345, 1_000_000, 60_000_000,
        ] {
            let middle = middle_of(index_of(us));
            let error = middle.abs_diff(us) as f64 / (us.max(1)) as f64;
            assert!(error <= 0.04, "{us} -> {middle}");
        }
    }
}
