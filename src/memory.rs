//! glibc's allocator, tuned where its defaults cost memory under load, unless the operator has
//! chosen.
//!
//! **Arenas.** glibc gives threads that allocate at the same time separate arenas, up to eight
//! per core, and memory freed in one arena is only reused by the threads that allocate from it.
//! Under the benchmark suite's mixed load (90 % reads, 10 % creates, 8 connections, 60 s,
//! SQLite) the server's peak RSS was 96.8–117.3 MB in five runs with the default (16 arenas on
//! two cores) and 90.1–96.2 MB in three with four per core, at the same throughput and the
//! same speed of the JSON list; two per core (72.8 MB) cost the JSON list 3–5 % in lock waits
//! (docs/performance.md, "Eighth round"). `MALLOC_ARENA_MAX` or an `arena_max` in
//! `GLIBC_TUNABLES` still decides when it is set.
//!
//! **Large blocks.** glibc hands blocks of 128 KiB and more straight from the kernel (`mmap`),
//! and returns them on free; but after each such free it raises that threshold to the freed
//! block's size (up to 32 MiB), so that later large blocks come from the arenas, where they
//! stay when freed. The mixed load's peak grew through the run to 105.5–111.8 MB that way (four
//! runs of 30 s; 110.5 MB in one of 60 s); with the threshold held at 128 KiB it was
//! 80.9–91.8 MB (86.1 and 95.4 MB in 60 s) at the same throughput, and the JSON list, an HTML
//! page and an import were no slower (docs/performance.md, "Twenty-fourth round"; the eighth
//! round had tried the threshold alone, with sixteen arenas, in one run: 105.2 MB).
//! `MALLOC_MMAP_THRESHOLD_` or a `mmap_threshold` in `GLIBC_TUNABLES` still decides when it is
//! set.

/// Arenas per core.
const ARENAS_PER_CORE: usize = 4;

/// Blocks at least this large are mapped from the kernel and returned to it when freed
/// (glibc's initial threshold, kept from rising).
const MMAP_THRESHOLD_BYTES: i32 = 128 * 1024;

/// Limits glibc's arenas to [`ARENAS_PER_CORE`] per core and holds its threshold for large
/// blocks at [`MMAP_THRESHOLD_BYTES`], each unless the environment sets it. Call before any
/// thread starts. Does nothing where the allocator is not glibc's.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let tunables = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
        if std::env::var_os("MALLOC_ARENA_MAX").is_none() && !tunables.contains("arena_max") {
            let cores = std::thread::available_parallelism().map_or(1, usize::from);
            let arenas = i32::try_from(cores.saturating_mul(ARENAS_PER_CORE)).unwrap_or(i32::MAX);
            set(libc::M_ARENA_MAX, "M_ARENA_MAX", arenas);
        }
        if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none()
            && !tunables.contains("mmap_threshold")
        {
            // Setting it also stops glibc from raising it.
            set(
                libc::M_MMAP_THRESHOLD,
                "M_MMAP_THRESHOLD",
                MMAP_THRESHOLD_BYTES,
            );
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set(parameter: libc::c_int, name: &str, value: i32) {
    // SAFETY: mallopt only sets a tunable of the allocator; it is called before any other
    // thread exists, and a refused value (it returns 0) leaves glibc's default.
    let set = unsafe { libc::mallopt(parameter, value) };
    if set == 0 {
        eprintln!("commonplace: glibc refused {name} = {value}; keeping its default");
    }
}
