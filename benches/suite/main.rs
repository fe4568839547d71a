//! Commonplace's benchmark suite: one command builds the release binary, generates seeded data,
//! loads it with `commonplace import`, runs every scenario on SQLite and PostgreSQL with `wrk`
//! as the load, and prints a table (also written to `target/bench/results.md`).
//!
//!     cargo bench --bench suite                          # everything, both backends
//!     cargo bench --bench suite -- reads writes          # some scenarios
//!     cargo bench --bench suite -- reads --backend sqlite --sizes 10000 --duration 5
//!
//! Scenarios: reads, growth (reads at 10k, 100k and 1M), writes, mixed, import, idle, fanout,
//! inbound. See docs/performance.md for what each measures and the figures on our machine.

// A benchmark's failures should panic with their message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod data;
mod fanout;
mod inbound;
mod instance;
mod load;
mod report;
mod scenarios;
mod signatures;

use clap::Parser;
use instance::Backend;
use report::Report;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(about = "Commonplace's benchmark suite")]
struct Options {
    /// Scenarios to run: reads, growth, writes, mixed, import, idle, fanout, inbound, or all.
    #[arg(default_value = "all")]
    scenarios: Vec<String>,
    /// sqlite, postgres or both.
    #[arg(long, default_value = "both")]
    backend: String,
    /// Bookmark counts for `reads` (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "100000")]
    sizes: Vec<usize>,
    /// Bookmark counts for `growth`.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    growth_sizes: Vec<usize>,
    /// Users the bookmarks are spread over (the pages measured are the first user's).
    #[arg(long, default_value_t = 4)]
    users: usize,
    /// Runs of each measurement; the table shows their median.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Seconds of load per run.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of the mixed read/write load.
    #[arg(long, default_value_t = 60)]
    mixed_duration: u64,
    /// Bookmarks imported by the `import` scenario.
    #[arg(long, default_value_t = 100_000)]
    import_size: usize,
    /// Followers:instances pairs for `fanout`.
    #[arg(long, value_delimiter = ',', default_value = "10000:100,1000:1000")]
    fanout: Vec<String>,
    /// Activities sent by the `inbound` scenario.
    #[arg(long, default_value_t = 2000)]
    inbound_activities: usize,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

impl Options {
    fn backends(&self) -> Vec<Backend> {
        match self.backend.as_str() {
            "sqlite" => vec![Backend::Sqlite],
            "postgres" | "postgresql" => vec![Backend::Postgres],
            "both" => vec![Backend::Sqlite, Backend::Postgres],
            other => panic!("--backend {other}: use sqlite, postgres or both"),
        }
    }

    fn wants(&self, scenario: &str) -> bool {
        self.scenarios
            .iter()
            .any(|s| s == scenario || (s == "all" && scenario != "reads"))
    }

    fn settings(&self) -> scenarios::Settings {
        scenarios::Settings {
            users: self.users,
            runs: self.runs.max(1),
            duration: Duration::from_secs(self.duration),
            mixed_duration: Duration::from_secs(self.mixed_duration),
        }
    }
}

#[actix_web::main]
async fn main() {
    let options = Options::parse();
    let known = [
        "all", "reads", "growth", "writes", "mixed", "import", "idle", "fanout", "inbound",
    ];
    if let Some(unknown) = options
        .scenarios
        .iter()
        .find(|s| !known.contains(&s.as_str()))
    {
        panic!(
            "no scenario named {unknown}; choose from {}",
            known.join(", ")
        );
    }
    let settings = options.settings();
    let mut report = Report::default();
    for backend in options.backends() {
        if options.wants("idle") {
            scenarios::idle(backend, &settings, &mut report).await;
        }
        if options.wants("import") {
            scenarios::import(backend, options.import_size, &settings, &mut report);
        }
        let mut read_sizes = Vec::new();
        if options.wants("reads") {
            read_sizes.extend(&options.sizes);
        }
        if options.wants("growth") {
            read_sizes.extend(&options.growth_sizes);
        }
        read_sizes.sort_unstable();
        read_sizes.dedup();
        for size in read_sizes {
            scenarios::reads(backend, size, &settings, &mut report).await;
        }
        if options.wants("writes") || options.wants("mixed") {
            scenarios::writes(
                backend,
                &settings,
                options.wants("writes"),
                options.wants("mixed"),
                &mut report,
            )
            .await;
        }
        if options.wants("fanout") {
            fanout::run(backend, &options.fanout, &mut report).await;
        }
        if options.wants("inbound") {
            inbound::run(backend, options.inbound_activities, &settings, &mut report).await;
        }
    }
    report.finish();
}
