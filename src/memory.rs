//! The process's memory cap, and what happens when an allocation fails under it.
//!
//! `purse ingest` caps its address space (`[ingest] memory_mib`, 2 GiB unless set; the server's
//! upload jobs use `[web] upload_memory_mib`). An allocation past the cap fails, and Rust's
//! answer to a failed allocation is to abort (SIGABRT, exit 134, "memory allocation of N bytes
//! failed"), which tells a user nothing of which file or why. [`Capped`], the binary's global
//! allocator, answers instead: it names the file being read, says what cap it hit and how to
//! raise it, and ends the process with exit 2 — a refusal, as for any other bad input. Nothing
//! is lost: a load is stored only at its commit, and the next run sweeps an interrupted one.
//!
//! The handler may not allocate (the allocator is what failed) nor unwind (an allocator must
//! not): it writes with `write(2)` from fixed buffers and leaves with `_exit(2)`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

/// Exit code of a child of the server whose allocation failed under its address-space cap (a
/// command run by a person exits 2 instead, as for any refused input).
pub const CHILD_EXIT_OUT_OF_MEMORY: i32 = 4;

/// The exit code of a process that ran out of memory under its cap: 2 (as for a refused input)
/// for a person's command, [`CHILD_EXIT_OUT_OF_MEMORY`] for a child of the server (see
/// [`as_child`]), so the server knows without reading its stderr.
static EXIT_OUT_OF_MEMORY: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(2);

/// This process is a child of the server: running out of memory exits with
/// [`CHILD_EXIT_OUT_OF_MEMORY`].
pub fn as_child() {
    EXIT_OUT_OF_MEMORY.store(CHILD_EXIT_OUT_OF_MEMORY, Ordering::Relaxed);
}

/// The cap in bytes (0: none set), for the message.
static CAP: AtomicU64 = AtomicU64::new(0);
/// Where the cap comes from, for the message (a `&'static str`).
static CAP_SOURCE: AtomicPtr<String> = AtomicPtr::new(std::ptr::null_mut());
/// The file most recently named by any thread (a leaked `String`).
static LAST_FILE: AtomicPtr<String> = AtomicPtr::new(std::ptr::null_mut());

thread_local! {
    /// The file this thread is reading (a leaked `String`): read-ahead threads open the next
    /// file while the main thread writes the current one.
    static FILE: Cell<*const String> = const { Cell::new(std::ptr::null()) };
}

/// Caps the process's address space at `bytes` (`RLIMIT_AS`) and records where the cap comes
/// from (`[ingest] memory_mib in purse.toml`) for the message an allocation past it gives.
pub fn cap(bytes: u64, source: &str) {
    // glibc reserves 64 MiB of address space per malloc arena (up to eight per core): under an
    // address-space cap that reservation, not the data, would be what runs out. Two arenas
    // are enough for purse's few threads (the server's upload jobs set MALLOC_ARENA_MAX=2 too).
    // SAFETY: mallopt only changes an allocator setting; called before the reading starts.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
    CAP.store(bytes, Ordering::Relaxed);
    CAP_SOURCE.store(
        Box::into_raw(Box::new(source.to_string())),
        Ordering::Relaxed,
    );
    if let Err(e) = limit_address_space(bytes) {
        eprintln!(
            "purse: could not cap memory at {} MiB ({source}): {e}",
            bytes >> 20
        );
    }
}

/// Caps the process's address space (`RLIMIT_AS`): an allocation past it fails, which ends this
/// process (a console worker or an upload's ingest), not the server.
pub fn limit_address_space(bytes: u64) -> std::io::Result<()> {
    let lim = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: setrlimit reads the struct we pass and changes only this process's limit.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The cap in force and where it comes from (`2048 MiB ([ingest] memory_mib in purse.toml)`),
/// for errors that a cap too small for anything causes (SQLite cannot map its shared memory).
pub fn cap_note() -> Option<String> {
    let cap = CAP.load(Ordering::Relaxed);
    // SAFETY: the pointer is to a leaked string that is never freed.
    let source = unsafe { CAP_SOURCE.load(Ordering::Relaxed).as_ref() };
    (cap > 0).then(|| match source {
        Some(s) => format!("{} MiB ({s})", cap >> 20),
        None => format!("{} MiB", cap >> 20),
    })
}

/// Names the file this thread reads from now on, for the out-of-memory message. One small
/// string is kept per file named (the handler must not free or allocate).
pub fn reading(path: &std::path::Path) {
    let name = Box::into_raw(Box::new(path.display().to_string()));
    FILE.with(|f| f.set(name));
    LAST_FILE.store(name, Ordering::Relaxed);
}

/// The global allocator of the `purse` binary: the system's, with a failed allocation reported
/// and turned into exit 2 (see the module's documentation).
pub struct Capped;

// SAFETY: every call is passed to `System` unchanged; only a null result is acted on, and the
// handler never returns.
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            out_of_memory(new_size);
        }
        p
    }
}

/// A fixed buffer the message is put together in, without allocating (a signal handler's
/// message is put together the same way: see `ingest::mapped`).
pub(crate) struct Msg {
    buf: [u8; 1024],
    len: usize,
}

impl Msg {
    pub(crate) const fn new() -> Msg {
        Msg {
            buf: [0; 1024],
            len: 0,
        }
    }

    /// Writes the message to standard error with `write(2)` (async-signal-safe).
    pub(crate) fn write_stderr(&self) {
        // SAFETY: writes our own buffer to standard error.
        unsafe {
            libc::write(2, self.buf.as_ptr().cast(), self.len);
        }
    }

    pub(crate) fn push(&mut self, s: &[u8]) {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
    }

    pub(crate) fn number(&mut self, mut v: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.push(&digits[i..]);
    }
}

/// Says which file needed more memory than the cap allows, and ends the process (exit 2, or the
/// child's code: see [`as_child`]).
#[cold]
fn out_of_memory(size: usize) -> ! {
    let mut m = Msg::new();
    let file = FILE
        .try_with(|f| f.get())
        .ok()
        .filter(|p| !p.is_null())
        .unwrap_or_else(|| LAST_FILE.load(Ordering::Relaxed));
    m.push(b"error: out of memory");
    // SAFETY: the pointers are to leaked strings that are never freed.
    if let Some(file) = unsafe { file.as_ref() } {
        m.push(b": reading ");
        m.push(file.as_bytes());
    }
    let cap = CAP.load(Ordering::Relaxed);
    if cap > 0 {
        m.push(b" needed more than ");
        m.number(cap >> 20);
        m.push(b" MiB");
        if let Some(src) = unsafe { CAP_SOURCE.load(Ordering::Relaxed).as_ref() } {
            m.push(b" (");
            m.push(src.as_bytes());
            m.push(b")");
        }
    }
    m.push(b"; an allocation of ");
    m.number(size as u64);
    m.push(b" bytes failed. Nothing of this file was stored; files loaded before it are kept.\n");
    m.write_stderr();
    // SAFETY: ends the process without running anything that could allocate.
    unsafe { libc::_exit(EXIT_OUT_OF_MEMORY.load(Ordering::Relaxed)) }
}
