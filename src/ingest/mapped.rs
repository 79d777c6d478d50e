//! A file read by mapping it into memory rather than copying it in.
//!
//! Reading a month of payments (160 MiB) into buffers cost a copy of every byte and a page
//! fault for every 4 KiB of fresh memory — 8 % of the CPU of the whole load. A mapped file is
//! the operating system's own cached pages, hashed, checked and parsed where they lie; a plain
//! UTF-8 CSV's pieces are stretches of the mapping ([`super::read::Text`]).
//!
//! The price of a mapping is that a file cut short by another program while it is being read
//! makes the next touch of a page past its new end a `SIGBUS`, which would end the process
//! without a word. The handler here names the file and ends the process as any refused input
//! does (exit 2): loads are stored only at their commit, and the next run sweeps an interrupted
//! one, so nothing already stored is lost. A fault in memory that is not a mapped file gets the
//! default action. (A file written to in place while it is read may be hashed and parsed as
//! different bytes, as two reads of it may be.)

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// Files mapped at once: the one being written and the few read ahead. Past this a file is
/// read the ordinary way.
const SLOTS: usize = 8;

/// A slot being set up (its range not yet known).
const CLAIMED: usize = usize::MAX;

/// Where each mapping lies and the file it is, for the signal handler (which may only read
/// atomics).
struct Slot {
    start: AtomicUsize,
    len: AtomicUsize,
    name: AtomicPtr<String>,
}

static TABLE: [Slot; SLOTS] = [const {
    Slot {
        start: AtomicUsize::new(0),
        len: AtomicUsize::new(0),
        name: AtomicPtr::new(std::ptr::null_mut()),
    }
}; SLOTS];

/// A file mapped read-only, unmapped when dropped.
pub struct Mapped {
    ptr: *mut libc::c_void,
    len: usize,
    slot: usize,
}

// SAFETY: the mapping is read-only and lives until `drop`; the bytes are only ever read.
unsafe impl Send for Mapped {}
// SAFETY: as above: shared references only read.
unsafe impl Sync for Mapped {}

impl Mapped {
    /// Maps a regular, non-empty file; `None` when it cannot be (a pipe, an empty file, every
    /// slot taken, the address space cap reached): it is then read into memory instead.
    pub fn open(file: &File, path: &Path) -> Option<Mapped> {
        use std::os::fd::AsRawFd;
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() == 0 {
            return None;
        }
        let len = usize::try_from(meta.len()).ok()?;
        install_handler();
        let slot = TABLE.iter().position(|s| {
            s.start
                .compare_exchange(0, CLAIMED, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        })?;
        // SAFETY: a fresh private read-only mapping of an open file; the kernel checks the
        // arguments and reports failure as MAP_FAILED.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            TABLE[slot].start.store(0, Ordering::Release);
            return None;
        }
        // SAFETY: advice only, on the mapping just made; read front to back.
        unsafe {
            libc::madvise(ptr, len, libc::MADV_SEQUENTIAL);
        }
        let name = Box::into_raw(Box::new(path.display().to_string()));
        TABLE[slot].name.store(name, Ordering::Release);
        TABLE[slot].len.store(len, Ordering::Release);
        TABLE[slot].start.store(ptr as usize, Ordering::Release);
        Some(Mapped { ptr, len, slot })
    }

    /// Lets the whole pages of `range` leave this process's memory: they stay in the page
    /// cache, and are read from it again if touched (as by the hash of a file whose rows were
    /// read first). Pages at its ends, shared with the next stretch, stay.
    pub fn release(&self, range: std::ops::Range<usize>) {
        // SAFETY: sysconf only reads a constant.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
        let start = range.start.next_multiple_of(page.max(1));
        // The mapping's last page is whole to the kernel: a stretch to the end releases it.
        let end = if range.end >= self.len {
            self.len
        } else {
            range.end / page * page
        };
        if end > start {
            // SAFETY: advice on pages inside this read-only mapping; a later read faults them
            // back in from the file.
            unsafe {
                libc::madvise(
                    self.ptr.cast::<u8>().add(start).cast(),
                    end - start,
                    libc::MADV_DONTNEED,
                );
            }
        }
    }

    pub fn bytes(&self) -> &[u8] {
        // SAFETY: `len` bytes mapped readable at `ptr` until `drop`.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        let s = &TABLE[self.slot];
        // The slot stays claimed (the handler passes it over) until the mapping and its name
        // are gone, so a new mapping at the same address is never taken for this file.
        s.start.store(CLAIMED, Ordering::Release);
        let name = s.name.swap(std::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: the mapping made in `open`, no longer borrowed (its bytes are borrowed from
        // `self`); the name was leaked there and the handler no longer reaches it.
        unsafe {
            libc::munmap(self.ptr, self.len);
            if !name.is_null() {
                drop(Box::from_raw(name));
            }
        }
        s.start.store(0, Ordering::Release);
    }
}

fn install_handler() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: installs a handler that only reads atomics, writes with write(2) and leaves
        // with _exit or the default action (all async-signal-safe).
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigbus as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
        }
    });
}

extern "C" fn on_sigbus(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    for s in &TABLE {
        let start = s.start.load(Ordering::Acquire);
        if start == 0 || start == CLAIMED {
            continue;
        }
        let len = s.len.load(Ordering::Acquire);
        if addr < start || addr - start >= len {
            continue;
        }
        let mut m = crate::memory::Msg::new();
        m.push(b"error: reading ");
        // SAFETY: the name is freed only after its slot is emptied, which happens only once the
        // mapping is no longer read.
        if let Some(name) = unsafe { s.name.load(Ordering::Acquire).as_ref() } {
            m.push(name.as_bytes());
        }
        m.push(
            b" failed: the file was cut short by another program while it was being read (or \
              the disk failed). Nothing of it was stored; loads finished before it are kept. \
              Load it again once it is complete.\n",
        );
        m.write_stderr();
        // SAFETY: ends the process without running anything that could allocate.
        unsafe { libc::_exit(2) }
    }
    // Not a mapped file: the default action (the fault happens again on return, and kills).
    // SAFETY: sigaction is async-signal-safe.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapped_file_reads_as_its_bytes_and_frees_its_slot() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        std::fs::write(&p, "代码,金额\n101,1.00\n").unwrap();
        let before = TABLE
            .iter()
            .filter(|s| s.start.load(Ordering::Relaxed) == 0)
            .count();
        {
            let m = Mapped::open(&File::open(&p).unwrap(), &p).unwrap();
            assert_eq!(m.bytes(), "代码,金额\n101,1.00\n".as_bytes());
        }
        let after = TABLE
            .iter()
            .filter(|s| s.start.load(Ordering::Relaxed) == 0)
            .count();
        assert!(after >= before, "the slot is given back");
        // Released pages are read again from the file, unchanged.
        let big = dir.path().join("big.csv");
        let text: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{i},\n").into_bytes())
            .collect();
        std::fs::write(&big, &text).unwrap();
        let m = Mapped::open(&File::open(&big).unwrap(), &big).unwrap();
        assert_eq!(m.bytes(), &text[..]);
        m.release(5_000..700_000);
        m.release(1_000_000..text.len());
        assert_eq!(m.bytes(), &text[..]);
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, "").unwrap();
        assert!(Mapped::open(&File::open(&empty).unwrap(), &empty).is_none());
    }
}
