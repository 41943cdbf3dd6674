//! The references one run has taken from its input, at 8 bytes each.

/// How many keys wait, unsorted, before they are merged into the sorted run.
const RECENT: usize = 512;

/// The set of references a run has taken, as 64-bit keys: a sorted vector, and a short buffer of
/// the latest keys that is merged into it when full. A hash set of 128-bit keys needs about
/// 2 to 3 times the memory (buckets, control bytes and its resize), which is what made a batch's
/// peak memory grow with its size.
///
/// A 64-bit key of a SHA-256 digest can collide: two different references in one batch share a
/// key with a chance of about n² / 2⁶⁵ (3 × 10⁻¹⁰ at 100,000 references, 3 × 10⁻⁶ at 10
/// million). A collision refuses the second reference as a repeat, so it can stop a payout,
/// never send one twice.
#[derive(Debug, Default)]
pub(crate) struct SeenReferences {
    sorted: Vec<u64>,
    recent: Vec<u64>,
}

impl SeenReferences {
    /// Adds `key`; false when it was already there.
    pub(crate) fn insert(&mut self, key: u64) -> bool {
        if self.recent.contains(&key) || self.sorted.binary_search(&key).is_ok() {
            return false;
        }
        if self.recent.capacity() == 0 {
            self.recent.reserve_exact(RECENT);
        }
        self.recent.push(key);
        if self.recent.len() == RECENT {
            self.merge_recent();
        }
        true
    }

    /// How many keys it holds.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.sorted.len() + self.recent.len()
    }

    /// Merges the buffer into the sorted run, from the back, without a second vector.
    fn merge_recent(&mut self) {
        self.recent.sort_unstable();
        let (old, new) = (self.sorted.len(), self.recent.len());
        // Grow by an eighth (at least the buffer): few reallocations, little slack.
        let want = old + new;
        if self.sorted.capacity() < want {
            self.sorted.reserve_exact(new.max(old / 8));
        }
        self.sorted.resize(want, 0);
        let (mut i, mut j) = (old, new);
        for slot in (0..want).rev() {
            if j == 0 {
                break;
            }
            if i > 0 && self.sorted[i - 1] > self.recent[j - 1] {
                self.sorted[slot] = self.sorted[i - 1];
                i -= 1;
            } else {
                self.sorted[slot] = self.recent[j - 1];
                j -= 1;
            }
        }
        self.recent.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// A deterministic spread of keys (splitmix64), with repeats mixed in.
    fn keys(n: u64) -> impl Iterator<Item = u64> {
        (0..n).map(|i| {
            let i = if i % 7 == 3 { i / 2 } else { i };
            let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
    }

    #[test]
    fn answers_as_a_hash_set_does_across_many_merges() {
        let mut seen = SeenReferences::default();
        let mut model = HashSet::new();
        for key in keys(20_000) {
            assert_eq!(seen.insert(key), model.insert(key), "{key}");
        }
        assert_eq!(seen.len(), model.len());
        assert!(
            seen.sorted.windows(2).all(|w| w[0] < w[1]),
            "sorted, no repeats"
        );
        // Everything inserted is still found, whether merged or in the buffer.
        for key in keys(20_000) {
            assert!(!seen.insert(key));
        }
    }

    #[test]
    fn extremes_and_a_key_repeated_at_once_and_after_a_merge() {
        let mut seen = SeenReferences::default();
        assert!(seen.insert(u64::MAX));
        assert!(!seen.insert(u64::MAX));
        assert!(seen.insert(0));
        for key in 1..RECENT as u64 {
            assert!(seen.insert(key));
        }
        assert!(seen.recent.len() < RECENT, "merged once");
        assert!(!seen.insert(0));
        assert!(!seen.insert(u64::MAX));
        assert!(seen.insert(RECENT as u64));
    }
}
