//! The results table: printed as each row is measured (so a long run shows progress) and at the
//! end as Markdown, also written to `target/bench/results.md` for docs/performance.md.

use crate::instance::{work_dir, Backend};
use crate::load::LoadResult;

pub struct Row {
    pub scenario: String,
    pub backend: Backend,
    /// What the scenario ran on: bookmarks in the database, connections, followers …
    pub setup: String,
    /// The headline figure with its unit.
    pub result: String,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub errors: Option<u64>,
    pub peak_rss_mb: Option<f64>,
}

#[derive(Default)]
pub struct Report {
    rows: Vec<Row>,
}

/// The median of a measurement over several runs.
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Median requests/s, p50 and p99 of several wrk runs, and the errors of all of them.
pub fn median_load(runs: &[LoadResult]) -> LoadResult {
    LoadResult {
        requests_per_second: median(runs.iter().map(|r| r.requests_per_second).collect()),
        p50_ms: median(runs.iter().map(|r| r.p50_ms).collect()),
        p99_ms: median(runs.iter().map(|r| r.p99_ms).collect()),
        requests: runs.iter().map(|r| r.requests).sum(),
        errors: runs.iter().map(|r| r.errors).sum(),
    }
}

impl Report {
    pub fn add(&mut self, row: Row) {
        println!("{}", format_row(&row));
        self.rows.push(row);
    }

    /// A row for a wrk measurement.
    pub fn add_load(
        &mut self,
        scenario: &str,
        backend: Backend,
        setup: String,
        load: LoadResult,
        peak_rss_mb: f64,
    ) {
        self.add(Row {
            scenario: scenario.to_owned(),
            backend,
            setup,
            result: format!("{:.0} req/s", load.requests_per_second),
            p50_ms: Some(load.p50_ms),
            p99_ms: Some(load.p99_ms),
            errors: Some(load.errors),
            peak_rss_mb: Some(peak_rss_mb),
        });
    }

    pub fn finish(&self) {
        let mut table = String::from(
            "| scenario | backend | setup | result | p50 | p99 | errors | peak RSS |\n|---|---|---|---:|---:|---:|---:|---:|\n",
        );
        for row in &self.rows {
            table.push_str(&format_row(row));
            table.push('\n');
        }
        println!("\n{table}");
        let path = work_dir().join("results.md");
        if std::fs::create_dir_all(work_dir())
            .and_then(|()| std::fs::write(&path, &table))
            .is_ok()
        {
            println!("(also written to {})", path.display());
        }
    }
}

fn format_row(row: &Row) -> String {
    let ms = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.2} ms"));
    format!(
        "| {} | {} | {} | {} | {} | {} | {} | {} |",
        row.scenario,
        row.backend.label(),
        row.setup,
        row.result,
        ms(row.p50_ms),
        ms(row.p99_ms),
        row.errors.map_or(String::new(), |e| e.to_string()),
        row.peak_rss_mb
            .map_or(String::new(), |v| format!("{v:.1} MB")),
    )
}
