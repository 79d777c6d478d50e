//! Work spread over the machine's cores in plain threads (ingest is CPU-bound and synchronous).

use std::sync::{Condvar, Mutex};

/// Applies `f` to each item on up to `threads` threads and returns the results in the items'
/// order; the first error (in that order) wins. Each thread takes the next item as it comes
/// free, so a few large items do not leave a core idle behind a fixed share, and an item is
/// dropped as soon as `f` is done with it. A thread that panics is reported as `stopped(what
/// the panic said)` (an internal error), not propagated.
pub fn map_in_order<T, R, E>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> Result<R, E> + Sync,
    stopped: impl Fn(String) -> E + Sync,
) -> Result<Vec<R>, E>
where
    T: Send,
    R: Send,
    E: Send,
{
    let mut out = Vec::with_capacity(items.len());
    let free = (|_: &T| 0, u64::MAX);
    let keep = |r| {
        out.push(r);
        Ok(true)
    };
    for_each_in_order(items, threads, free, f, keep, stopped)?;
    Ok(out)
}

/// Applies `f` to each item on up to `threads` threads and hands the results to `consume` on
/// the calling thread, in the items' order, as they come: a sheet's parts are read on the
/// cores while the parts read so far are written. At most `threads + 1` items are taken beyond
/// the last one consumed, so memory holds a few results, not all of them; and beyond the one
/// being consumed and the next, only while their `cost` (a file's size, asked once per item)
/// stays within `budget`. `consume` returning `Ok(false)` stops the work (the rest is not
/// needed); an error from `f` or `consume` stops it and is returned. On more than one thread a
/// panic in `f` or `consume` is reported as `stopped(what the panic said)`; on one, it reaches
/// the caller.
pub fn for_each_in_order<T, R, E>(
    items: Vec<T>,
    threads: usize,
    (cost, budget): (impl Fn(&T) -> u64 + Sync, u64),
    f: impl Fn(T) -> Result<R, E> + Sync,
    mut consume: impl FnMut(R) -> Result<bool, E>,
    stopped: impl Fn(String) -> E + Sync,
) -> Result<(), E>
where
    T: Send,
    R: Send,
    E: Send,
{
    let n = items.len();
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        for item in items {
            if !consume(f(item)?)? {
                break;
            }
        }
        return Ok(());
    }
    let costs: Vec<u64> = items.iter().map(&cost).collect();
    struct Queue<I> {
        items: I,
        taken: usize,
        consumed: usize,
        stop: bool,
    }
    let queue = Mutex::new(Queue {
        items: items.into_iter().enumerate(),
        taken: 0,
        consumed: 0,
        stop: false,
    });
    let freed = Condvar::new();
    let window = threads + 1;
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Result<R, E>)>();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let tx = tx.clone();
                let (queue, freed, f, stopped, costs) = (&queue, &freed, &f, &stopped, &costs);
                s.spawn(move || {
                    loop {
                        let next = {
                            let Ok(mut q) = queue.lock() else { return };
                            loop {
                                if q.stop {
                                    return;
                                }
                                let taken = q.taken;
                                // Those taken beyond the one being consumed, and this one.
                                let ahead: u64 = costs
                                    .get(q.consumed + 1..=taken)
                                    .map_or(0, |c| c.iter().sum());
                                if taken <= q.consumed + 1
                                    || (taken < q.consumed + window && ahead <= budget)
                                {
                                    q.taken += 1;
                                    break;
                                }
                                let Ok(g) = freed.wait(q) else { return };
                                q = g;
                            }
                            q.items.next()
                        };
                        let Some((i, item)) = next else { return };
                        // A panic is this item's error: the other threads must not wait
                        // for it (they wait for the consumer, which waits for this item).
                        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(item)))
                            .unwrap_or_else(|e| Err(stopped(panic_text(&e))));
                        if tx.send((i, r)).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        drop(tx);
        let halt = || {
            if let Ok(mut q) = queue.lock() {
                q.stop = true;
            }
            freed.notify_all();
        };
        let mut waiting = std::collections::BTreeMap::new();
        let (mut next, mut result, mut done) = (0usize, Ok(()), false);
        for (i, r) in rx.iter() {
            if done {
                continue; // drained so the threads can finish
            }
            waiting.insert(i, r);
            while let Some(r) = waiting.remove(&next) {
                next += 1;
                let r = r.and_then(|r| {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| consume(r)))
                        .unwrap_or_else(|e| Err(stopped(panic_text(&e))))
                });
                match r {
                    Ok(true) => {}
                    Ok(false) => done = true,
                    Err(e) => {
                        result = Err(e);
                        done = true;
                    }
                }
                if done {
                    waiting.clear();
                    halt();
                    break;
                }
                if let Ok(mut q) = queue.lock() {
                    q.consumed = next;
                }
                freed.notify_all();
            }
        }
        let mut panicked = None;
        for h in handles {
            if let Err(e) = h.join() {
                panicked.get_or_insert(panic_text(&e));
            }
        }
        match (panicked, result) {
            (_, Err(e)) => Err(e),
            (Some(what), Ok(())) => Err(stopped(what)),
            (None, Ok(())) if !done && next < n => Err(stopped("an item was not done".into())),
            (None, Ok(())) => Ok(()),
        }
    })
}

/// What a panic said (its message, when it has one).
pub fn panic_text(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| e.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// The machine's cores, at most `max`.
pub fn available(max: usize) -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(max))
}

/// Below this many items a sort or a scan stays on the calling thread: a thread costs more
/// than it saves.
pub const SPLIT_MIN: usize = 20_000;

/// Sorts `v` by `cmp` on two cores when there are two and `v` is long: each half sorted on a
/// thread of its own, then merged. `cmp` must be a total order (ties broken, e.g. by index), so
/// the result is the one a sort on one thread gives.
///
/// Why: a month of budget execution is sorted by scope and code to check its totals against
/// their parts, on the thread that then writes it; that sort was a tenth of the month's load.
pub fn sort_unstable_by<T, F>(v: &mut Vec<T>, cmp: F)
where
    T: Copy + Send,
    F: Fn(&T, &T) -> std::cmp::Ordering + Sync,
{
    let n = v.len();
    if n < SPLIT_MIN || available(2) < 2 {
        v.sort_unstable_by(&cmp);
        return;
    }
    let mid = n / 2;
    let (a, b) = v.split_at_mut(mid);
    std::thread::scope(|s| {
        s.spawn(|| a.sort_unstable_by(&cmp));
        b.sort_unstable_by(&cmp);
    });
    let mut out = Vec::with_capacity(n);
    let (mut i, mut j) = (0, mid);
    while i < mid && j < n {
        if cmp(&v[j], &v[i]).is_lt() {
            out.push(v[j]);
            j += 1;
        } else {
            out.push(v[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&v[i..mid]);
    out.extend_from_slice(&v[j..]);
    *v = out;
}

/// `f` over the ranges of `0..n` cut into one stretch per core (two at most; one when `n` is
/// small), on [`map_in_order`]; the results in the order of their ranges. A panic in `f` is
/// raised again here, with what it said, as it would be on one thread.
pub fn split_range<R, F>(n: usize, f: F) -> Vec<R>
where
    R: Send,
    F: Fn(std::ops::Range<usize>) -> R + Sync,
{
    let threads = if n < SPLIT_MIN { 1 } else { available(2) };
    let ranges: Vec<_> = (0..threads)
        .map(|k| n * k / threads..n * (k + 1) / threads)
        .collect();
    map_in_order(ranges, threads, |r| Ok(f(r)), |what| what)
        .unwrap_or_else(|what: String| panic!("{what}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_sort_on_two_cores_is_the_sort_on_one() {
        // Many equal keys, ties broken by the value's own index, as the hierarchy check does.
        let keys: Vec<u32> = (0..50_000u32).map(|i| (i * 7919) % 1000).collect();
        let cmp = |a: &u32, b: &u32| keys[*a as usize].cmp(&keys[*b as usize]).then(a.cmp(b));
        let mut two: Vec<u32> = (0..50_000).rev().collect();
        let mut one = two.clone();
        super::sort_unstable_by(&mut two, cmp);
        one.sort_unstable_by(cmp);
        assert_eq!(two, one);
        // Short and empty vectors stay on one thread.
        let mut short = vec![3u32, 1, 2];
        super::sort_unstable_by(&mut short, |a, b| a.cmp(b));
        assert_eq!(short, [1, 2, 3]);
        let mut empty: Vec<u32> = vec![];
        super::sort_unstable_by(&mut empty, |a, b| a.cmp(b));
        assert!(empty.is_empty());
    }

    #[test]
    fn split_ranges_cover_every_index_once_in_order() {
        for n in [0, 1, super::SPLIT_MIN - 1, super::SPLIT_MIN, 45_001] {
            let parts = super::split_range(n, |r| r.collect::<Vec<usize>>());
            let all: Vec<usize> = parts.into_iter().flatten().collect();
            assert_eq!(all, (0..n).collect::<Vec<_>>(), "n = {n}");
        }
    }

    #[test]
    fn results_come_back_in_order_and_errors_win() {
        let r: Result<Vec<u32>, String> = super::map_in_order(
            (0..10).collect(),
            3,
            |x: u32| Ok(x * 2),
            |_| "stopped".into(),
        );
        assert_eq!(r.unwrap(), (0..10).map(|x| x * 2).collect::<Vec<_>>());
        let e: Result<Vec<u32>, String> = super::map_in_order(
            (0..10).collect(),
            3,
            |x: u32| {
                if x == 7 {
                    Err(format!("bad {x}"))
                } else {
                    Ok(x)
                }
            },
            |_| "stopped".into(),
        );
        assert_eq!(e.unwrap_err(), "bad 7");
        let p: Result<Vec<u32>, String> = super::map_in_order(
            (0..10).collect(),
            2,
            |x: u32| if x == 3 { panic!("a bug") } else { Ok(x) },
            |_| "stopped".into(),
        );
        assert_eq!(p.unwrap_err(), "stopped");
        let p: Result<Vec<u32>, String> = super::map_in_order(
            (0..10).collect(),
            2,
            |x: u32| if x == 3 { panic!("a bug") } else { Ok(x) },
            |what| what,
        );
        assert_eq!(p.unwrap_err(), "a bug");
    }

    /// Results reach `consume` in order whatever order the threads finish in; `Ok(false)`
    /// stops the work; errors and panics come back.
    #[test]
    fn for_each_in_order_consumes_in_order_and_stops() {
        let slow_first = |x: u32| -> Result<u32, String> {
            if x.is_multiple_of(3) {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Ok(x)
        };
        // The items `consume` saw, on `threads` threads, stopping after `last` if given.
        let seen = |threads: usize, last: Option<u32>| {
            let mut seen = Vec::new();
            super::for_each_in_order(
                (0..20).collect(),
                threads,
                FREE,
                slow_first,
                |x| {
                    seen.push(x);
                    Ok(last.is_none_or(|l| x < l))
                },
                |w| w,
            )
            .unwrap();
            seen
        };
        assert_eq!(seen(3, None), (0..20).collect::<Vec<_>>());
        assert_eq!(seen(2, Some(5)), (0..=5).collect::<Vec<_>>());
        let e = super::for_each_in_order(
            (0..20).collect(),
            2,
            FREE,
            |x: u32| {
                if x == 7 {
                    Err(format!("bad {x}"))
                } else {
                    Ok(x)
                }
            },
            |_| Ok(true),
            |w| w,
        );
        assert_eq!(e.unwrap_err(), "bad 7");
        let p = super::for_each_in_order(
            (0..20).collect(),
            2,
            FREE,
            |x: u32| if x == 4 { panic!("a bug") } else { Ok(x) },
            |_| Ok(true),
            |w: String| w,
        );
        assert_eq!(p.unwrap_err(), "a bug");
    }

    /// No budget on what is read ahead.
    const FREE: (fn(&u32) -> u64, u64) = (|_| 0, u64::MAX);

    /// Items beyond the one being consumed and the next are taken only within the budget: with
    /// items of cost 100 and a budget of 150, a thread never starts an item more than one past
    /// the one being consumed; with a budget of 250, two.
    #[test]
    fn read_ahead_stays_within_the_budget() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        for (budget, most) in [(150, 1), (250, 2)] {
            let consumed = AtomicUsize::new(0);
            let furthest = AtomicUsize::new(0);
            super::for_each_in_order(
                (0..12u32).collect(),
                3,
                (|_: &u32| 100, budget),
                |x: u32| -> Result<u32, String> {
                    let ahead = x as usize - consumed.load(Ordering::SeqCst);
                    furthest.fetch_max(ahead, Ordering::SeqCst);
                    Ok(x)
                },
                |_| {
                    std::thread::sleep(std::time::Duration::from_millis(3));
                    consumed.fetch_add(1, Ordering::SeqCst);
                    Ok(true)
                },
                |w| w,
            )
            .unwrap();
            assert_eq!(furthest.load(Ordering::SeqCst), most, "budget {budget}");
        }
    }
}
