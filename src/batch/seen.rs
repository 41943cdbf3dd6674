//! The references one run has taken from its input, at about 10 bytes each.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// The buffer is merged into the sorted run once it holds this many keys, or an eighth of the
/// run if that is more (so a run of n keys takes O(log n) merges, O(n log n) moves in all).
const MIN_RECENT: usize = 512;

/// The set of references a run has taken, as 64-bit keys: a sorted vector, and a hashed buffer
/// of the latest keys that is sorted and merged into it when it reaches an eighth of its size.
/// A hash set of 128-bit keys needs about 2 to 3 times the memory (buckets, control bytes and
/// its resize), which is what made a batch's peak memory grow with its size.
///
/// A 64-bit key of a SHA-256 digest can collide: two different references in one batch share a
/// key with a chance of about n² / 2⁶⁵ (3 × 10⁻¹⁰ at 100,000 references, 3 × 10⁻⁶ at 10
/// million). A collision refuses the second reference as a repeat, so it can stop a payout,
/// never send one twice.
#[derive(Debug, Default)]
pub(crate) struct SeenReferences {
    sorted: Vec<u64>,
    recent: HashSet<u64, BuildHasherDefault<KeyHasher>>,
}

impl SeenReferences {
    /// Adds `key`; false when it was already there.
    pub(crate) fn insert(&mut self, key: u64) -> bool {
        if self.sorted.binary_search(&key).is_ok() || !self.recent.insert(key) {
            return false;
        }
        if self.recent.len() >= MIN_RECENT.max(self.sorted.len() / 8) {
            self.merge_recent();
        }
        true
    }

    /// How many keys it holds.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.sorted.len() + self.recent.len()
    }

    /// Sorts the buffer and merges it into the sorted run, from the back.
    fn merge_recent(&mut self) {
        let mut recent: Vec<u64> = self.recent.drain().collect();
        recent.sort_unstable();
        let (old, new) = (self.sorted.len(), recent.len());
        let want = old + new;
        // Grow by an eighth (at least the buffer): few reallocations, little slack.
        if self.sorted.capacity() < want {
            self.sorted.reserve_exact(new.max(old / 8));
        }
        self.sorted.resize(want, 0);
        let (mut i, mut j) = (old, new);
        for slot in (0..want).rev() {
            if j == 0 {
                break; // what is left of the old run is already in place
            }
            if i > 0 && self.sorted[i - 1] > recent[j - 1] {
                self.sorted[slot] = self.sorted[i - 1];
                i -= 1;
            } else {
                self.sorted[slot] = recent[j - 1];
                j -= 1;
            }
        }
    }
}

/// The keys are already uniform (bits of a SHA-256 digest): hashing them again buys nothing.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in rather than lose it.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, key: u64) {
        self.0 = key;
    }
}

#[cfg(test)]
mod tests {
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
        let mut model = std::collections::HashSet::new();
        for key in keys(50_000) {
            assert_eq!(seen.insert(key), model.insert(key), "{key}");
        }
        assert_eq!(seen.len(), model.len());
        assert!(
            seen.sorted.len() >= seen.len() * 8 / 9,
            "most keys were merged"
        );
        assert!(
            seen.sorted.windows(2).all(|w| w[0] < w[1]),
            "sorted, no repeats"
        );
        // Everything inserted is still found, whether merged or in the buffer.
        for key in keys(50_000) {
            assert!(!seen.insert(key));
        }
    }

    #[test]
    fn dense_small_keys_and_the_extremes() {
        let mut seen = SeenReferences::default();
        assert!(seen.insert(u64::MAX));
        assert!(!seen.insert(u64::MAX));
        assert!(seen.insert(0));
        for key in 1..MIN_RECENT as u64 {
            assert!(seen.insert(key));
        }
        assert_eq!(seen.sorted.len(), MIN_RECENT, "merged once");
        assert!(!seen.insert(0));
        assert!(!seen.insert(u64::MAX));
        for key in (0..3 * MIN_RECENT as u64).rev() {
            assert_eq!(seen.insert(key), key >= MIN_RECENT as u64, "{key}");
        }
        assert_eq!(seen.len(), 3 * MIN_RECENT + 1);
    }

    #[test]
    fn the_buffer_grows_with_the_run() {
        let mut seen = SeenReferences::default();
        for key in keys(200_000) {
            seen.insert(key);
            assert!(seen.recent.len() < MIN_RECENT.max(seen.sorted.len() / 8));
        }
        assert!(seen.sorted.len() >= seen.len() * 8 / 9);
    }
}
