//! A small map whose entries go stale after a fixed time and whose size is
//! capped. Pure: the caller says what time it is.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

pub struct TtlCache<K, V> {
    ttl: Duration,
    max: usize,
    entries: HashMap<K, (Instant, V)>,
}

impl<K: Eq + Hash, V> TtlCache<K, V> {
    pub fn new(ttl: Duration, max: usize) -> TtlCache<K, V> {
        TtlCache {
            ttl,
            max,
            entries: HashMap::new(),
        }
    }

    /// The value for `key` if it was read less than the TTL before `now`.
    pub fn get(&self, key: &K, now: Instant) -> Option<&V> {
        let (read_at, value) = self.entries.get(key)?;
        (now.saturating_duration_since(*read_at) < self.ttl).then_some(value)
    }

    /// Keep `value`, read from its source at `read_at` (the time before
    /// the read began, so an entry's age covers the read too). When full,
    /// stale entries go first; if none is stale, all go: a flood of
    /// distinct keys costs lookups, never unbounded memory.
    pub fn put(&mut self, key: K, value: V, read_at: Instant) {
        if self.entries.len() >= self.max && !self.entries.contains_key(&key) {
            let ttl = self.ttl;
            self.entries
                .retain(|_, (at, _)| read_at.saturating_duration_since(*at) < ttl);
            if self.entries.len() >= self.max {
                self.entries.clear();
            }
        }
        self.entries.insert(key, (read_at, value));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_lives_less_than_its_ttl() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut c = TtlCache::new(s(5), 10);
        c.put("k", 1, t0);
        assert_eq!(c.get(&"k", t0), Some(&1));
        assert_eq!(c.get(&"k", t0 + Duration::from_millis(4999)), Some(&1));
        assert_eq!(c.get(&"k", t0 + s(5)), None);
        assert_eq!(c.get(&"other", t0), None);
        // A fresh read replaces the stale one.
        c.put("k", 2, t0 + s(6));
        assert_eq!(c.get(&"k", t0 + s(7)), Some(&2));
        // A clock reading from before the entry (another thread's) is age 0.
        assert_eq!(c.get(&"k", t0), Some(&2));
    }

    #[test]
    fn a_full_cache_drops_stale_entries_then_everything() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut c = TtlCache::new(s(5), 3);
        c.put(1, (), t0);
        c.put(2, (), t0 + s(3));
        c.put(3, (), t0 + s(3));
        // Full: 1 is stale by now and goes; 2 and 3 stay.
        c.put(4, (), t0 + s(6));
        assert_eq!(c.len(), 3);
        assert!(c.get(&1, t0 + s(6)).is_none() && c.get(&2, t0 + s(6)).is_some());
        // Full of fresh entries: all go, the newest stays.
        c.put(5, (), t0 + s(7));
        assert_eq!(c.len(), 1);
        assert!(c.get(&5, t0 + s(7)).is_some());
        // Updating a key already there never evicts.
        let mut c = TtlCache::new(s(5), 1);
        c.put(1, 'a', t0);
        c.put(1, 'b', t0);
        assert_eq!(c.get(&1, t0), Some(&'b'));
    }
}
