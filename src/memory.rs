//! How many memory pools (arenas) glibc's allocator keeps: fewer than its default when the
//! operator has not chosen.
//!
//! glibc gives threads that allocate at the same time separate arenas, up to eight per core,
//! and memory freed in one arena is only reused by the threads that allocate from it. Under the
//! benchmark suite's mixed load (90 % reads, 10 % creates, 8 connections, 60 s, SQLite) the
//! server's peak RSS was 96.8–117.3 MB in five runs with the default (16 arenas on two cores)
//! and 90.1–96.2 MB in three with four per core, at the same throughput and the same speed of
//! the JSON list; two per core (72.8 MB) cost the JSON list 3–5 % in lock waits
//! (docs/performance.md, "Eighth round"). `MALLOC_ARENA_MAX` in the environment still decides
//! when it is set.

/// Arenas per core.
const ARENAS_PER_CORE: usize = 4;

/// Limits glibc's arenas to [`ARENAS_PER_CORE`] per core, unless `MALLOC_ARENA_MAX` is set.
/// Call before any thread starts. Does nothing where the allocator is not glibc's.
pub fn limit_allocator_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
            return;
        }
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let arenas = i32::try_from(cores.saturating_mul(ARENAS_PER_CORE)).unwrap_or(i32::MAX);
        // SAFETY: mallopt only sets a tunable of the allocator; it is called before any other
        // thread exists, and a refused value (it returns 0) leaves glibc's default.
        let set = unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) };
        if set == 0 {
            eprintln!("commonplace: glibc refused M_ARENA_MAX = {arenas}; keeping its default");
        }
    }
}
