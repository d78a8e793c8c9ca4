//! Re-entry from platform callbacks.
//!
//! A profile's calls that talk to the service go one at a time, under a
//! per-profile lock (the core's send lane, and the bindings' turn). The
//! platform's key store, vault and transport are called while that lock is
//! held, on the caller's thread. A callback that calls back into the same
//! installation for the same profile would wait for a lock its own thread
//! holds: a deadlock. Every such lock is therefore entered through [`enter`],
//! which remembers, per thread, the locks the thread holds, and refuses a
//! second entry with [`Error::Reentrant`] instead of waiting.
//!
//! Only re-entry on the same thread is detected: a callback that hands the
//! call to another thread and waits for it still deadlocks (shells must not
//! block a callback on a call into the library).

use std::cell::{Cell, RefCell};

use crate::error::{Error, Result};

thread_local! {
    /// Keys of the per-profile locks this thread holds (or is taking).
    static HELD: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    /// How many re-entries this thread was refused, ever.
    static REFUSED: Cell<u64> = const { Cell::new(0) };
}

/// Proof that this thread holds the lock with `key`; releases the mark when
/// dropped (take the lock after this, drop the lock's guard before it).
#[must_use = "the mark lasts as long as the lock it guards"]
#[derive(Debug)]
pub struct HeldMark {
    key: usize,
}

impl Drop for HeldMark {
    fn drop(&mut self) {
        HELD.with(|held| {
            let mut held = held.borrow_mut();
            if let Some(pos) = held.iter().rposition(|k| *k == self.key) {
                held.remove(pos);
            }
        });
    }
}

/// Mark the lock identified by `key` (its address) as held by this thread,
/// before taking it. Fails with [`Error::Reentrant`] if this thread already
/// holds it, i.e. a callback called back in. Does not block.
pub fn enter(key: usize) -> Result<HeldMark> {
    HELD.with(|held| {
        let mut held = held.borrow_mut();
        if held.contains(&key) {
            REFUSED.with(|r| r.set(r.get().wrapping_add(1)));
            return Err(Error::Reentrant);
        }
        held.push(key);
        Ok(HeldMark { key })
    })
}

/// The key of the lock behind `lock`: its address, stable while it lives.
pub fn key_of<T: ?Sized>(lock: &std::sync::Arc<T>) -> usize {
    std::sync::Arc::as_ptr(lock) as *const () as usize
}

/// How many re-entries this thread has been refused so far: compare before
/// and after a call to tell whether one of its callbacks was refused (its
/// failure may then have been reported as the callback's own). Does not block.
pub fn refused_so_far() -> u64 {
    REFUSED.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_entry_on_the_same_thread_is_refused_until_the_first_ends() {
        let before = refused_so_far();
        let first = enter(7).unwrap();
        assert_eq!(enter(7).unwrap_err(), Error::Reentrant);
        assert_eq!(refused_so_far(), before + 1);
        // Another lock, or another thread, is not a re-entry.
        let other = enter(8).unwrap();
        std::thread::spawn(|| enter(7).map(drop))
            .join()
            .unwrap()
            .unwrap();
        drop(other);
        drop(first);
        drop(enter(7).unwrap());
    }
}
