//! Moving through and rearranging the rows of the editors over the form
//! (a slot's fallback chain, the model menu), so the same keys do the
//! same in each.

/// The selection moved by `delta` over `n` rows, kept on a row.
pub(super) fn step(selected: usize, delta: isize, n: usize) -> usize {
    selected
        .saturating_add_signed(delta)
        .min(n.saturating_sub(1))
}

/// Remove the selected row; the selection after, on the row that took
/// its place (or the new last one).
pub(super) fn remove<T>(list: &mut Vec<T>, selected: usize) -> usize {
    if selected < list.len() {
        list.remove(selected);
    }
    selected.min(list.len().saturating_sub(1))
}

/// Swap the selected row with the one `delta` rows away: where it is now,
/// or `None` when there is no row there.
pub(super) fn shift<T>(list: &mut [T], selected: usize, delta: isize) -> Option<usize> {
    let to = selected.checked_add_signed(delta)?;
    if selected >= list.len() || to >= list.len() || to == selected {
        return None;
    }
    list.swap(selected, to);
    Some(to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_stay_in_bounds() {
        assert_eq!(step(0, -1, 3), 0);
        assert_eq!(step(1, 5, 3), 2);
        assert_eq!(step(0, 1, 0), 0, "no rows");
        let mut l = vec!['a', 'b', 'c'];
        assert_eq!(shift(&mut l, 0, -1), None);
        assert_eq!(shift(&mut l, 2, 1), None);
        assert_eq!(shift(&mut l, 0, 1), Some(1));
        assert_eq!(l, ['b', 'a', 'c']);
        assert_eq!(remove(&mut l, 2), 1, "the last goes: the one before it");
        assert_eq!(remove(&mut l, 0), 0);
        assert_eq!(remove(&mut l, 0), 0);
        assert_eq!(remove(&mut l, 0), 0, "nothing left to remove");
        assert!(l.is_empty());
    }
}
