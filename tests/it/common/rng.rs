//! A seeded generator for fuzz tests: deterministic, so a failure names a seed and an index
//! that reproduce it.

/// xorshift64* (the one `src/store/search/reference.rs` and the benches use).
pub struct Rng(pub u64);

impl Rng {
    /// A generator for one case's seed (spread, and never the all-zero state xorshift sticks in).
    pub fn seeded(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// In `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
