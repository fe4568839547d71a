//! The HTTP scenarios: idle memory and start-up, import, reads at a given size, writes and the
//! mixed load. Each measurement runs `runs` times and the table shows the median.

use crate::data;
use crate::instance::{self, Backend, Server};
use crate::load::{self, Load, LoadResult};
use crate::report::{median, median_load, Report, Row};
use std::time::Duration;

pub struct Settings {
    pub users: usize,
    pub runs: usize,
    pub duration: Duration,
    pub mixed_duration: Duration,
}

/// A database holding `size` generated bookmarks over `users` users (`bench0` …), each loaded
/// with `commonplace import`, and an API token for `bench0`.
pub struct Dataset {
    pub database_url: String,
    pub token: String,
}

pub fn dataset(backend: Backend, size: usize, users: usize, name: &str) -> Dataset {
    let files = data::generate(&instance::work_dir().join("data"), size, users)
        .expect("write the generated bookmark files");
    let database_url = instance::fresh_database(backend, name);
    for (user, file) in files.iter().enumerate() {
        let name = format!("bench{user}");
        instance::add_user(&database_url, &name);
        instance::import(&database_url, &name, file);
    }
    let token = instance::create_token(&database_url, "bench0");
    Dataset {
        database_url,
        token,
    }
}

/// Start-up time to the first answered request and resident memory 3 s after start, on an
/// empty database.
pub async fn idle(backend: Backend, settings: &Settings, report: &mut Report) {
    let mut start_ups = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..settings.runs {
        let database_url = instance::fresh_database(backend, "idle");
        let server = Server::start(&database_url, "idle").await;
        start_ups.push(server.start_up.as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_secs(3)).await;
        rss.push(server.rss_mb());
    }
    report.add(Row {
        scenario: "idle: start-up to first answer".into(),
        backend,
        setup: "empty database, migrated".into(),
        result: format!("{:.0} ms", median(start_ups)),
        p50_ms: None,
        p99_ms: None,
        errors: None,
        peak_rss_mb: None,
    });
    report.add(Row {
        scenario: "idle: memory 3 s after start".into(),
        backend,
        setup: "empty database".into(),
        result: format!("{:.1} MB RSS", median(rss)),
        p50_ms: None,
        p99_ms: None,
        errors: None,
        peak_rss_mb: None,
    });
}

/// `commonplace import` of one file of `size` bookmarks into a fresh database.
pub fn import(backend: Backend, size: usize, settings: &Settings, report: &mut Report) {
    let files = data::generate(&instance::work_dir().join("data"), size, 1)
        .expect("write the generated bookmark file");
    let megabytes = std::fs::metadata(&files[0]).map_or(0, |m| m.len()) as f64 / 1e6;
    let mut times = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..settings.runs {
        let database_url = instance::fresh_database(backend, "import");
        instance::add_user(&database_url, "bench0");
        let (elapsed, peak) = instance::import(&database_url, "bench0", &files[0]);
        times.push(elapsed.as_secs_f64());
        rss.push(peak);
    }
    let seconds = median(times);
    report.add(Row {
        scenario: "import (`commonplace import`)".into(),
        backend,
        setup: format!("{size} bookmarks, {megabytes:.1} MB file"),
        result: format!("{seconds:.2} s ({:.0}/s)", size as f64 / seconds),
        p50_ms: None,
        p99_ms: None,
        errors: None,
        peak_rss_mb: Some(median(rss)),
    });
}

/// Connections of the read scenarios.
const READ_CONNECTIONS: u32 = 8;

/// Measures one read load `runs` times on a running server and adds the median to the report.
fn measure_reads(
    server: &Server,
    scenario: &str,
    backend: Backend,
    setup: String,
    load: &Load,
    settings: &Settings,
    report: &mut Report,
) {
    server.reset_peak();
    let runs: Vec<LoadResult> = (0..settings.runs)
        .map(|_| load::run(load, READ_CONNECTIONS, settings.duration))
        .collect();
    report.add_load(
        scenario,
        backend,
        setup,
        median_load(&runs),
        server.peak_rss_mb(),
    );
}

/// Checks a URL answers 200 with a body before it is measured, so a typo cannot measure an
/// error page.
async fn check(url: &str, headers: &[String]) {
    let mut request = reqwest::Client::new().get(url);
    for header in headers {
        if let Some((name, value)) = header.split_once(": ") {
            request = request.header(name, value);
        }
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert!(
        status.is_success() && !body.is_empty(),
        "{url} answered {status}: {body}"
    );
}

/// The `next_cursor` after `pages` pages of 200 of bench0's bookmarks: a page deep in the list.
async fn deep_cursor(server: &Server, auth: &str, pages: usize) -> String {
    let client = reqwest::Client::new();
    let mut cursor = String::new();
    for _ in 0..pages {
        let page: serde_json::Value = client
            .get(server.url(&format!("/api/bookmarks?limit=200&cursor={cursor}")))
            .header("Authorization", auth)
            .send()
            .await
            .expect("list bookmarks")
            .json()
            .await
            .expect("a JSON page");
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    cursor
}

pub async fn reads(backend: Backend, size: usize, settings: &Settings, report: &mut Report) {
    let dataset = dataset(backend, size, settings.users, &format!("reads_{size}"));
    let server = Server::start(&dataset.database_url, &format!("reads-{size}")).await;
    let auth = format!("Authorization: Bearer {}", dataset.token);
    let bearer = format!("Bearer {}", dataset.token);
    // Half-way down bench0's bookmarks (or as deep as 50 pages go).
    let per_user = size / settings.users.max(1);
    let cursor = deep_cursor(&server, &bearer, (per_user / 400).clamp(1, 50)).await;
    let popular = data::tag(0);
    let rare = data::tag(1_500);
    let search = format!("{}+{}", data::word(100), data::word(300));
    let pinboard_auth = format!("bench0:{}", dataset.token);
    let reads: Vec<(&str, String, bool)> = vec![
        ("read: HTML user page", "/u/bench0".into(), false),
        (
            "read: HTML user page, deep cursor",
            format!("/u/bench0?before={cursor}"),
            false,
        ),
        (
            "read: HTML tag page",
            format!("/u/bench0/t/{popular}"),
            false,
        ),
        ("read: JSON list", "/api/bookmarks".into(), true),
        (
            "read: JSON list, popular tag",
            format!("/api/bookmarks?tag={popular}"),
            true,
        ),
        (
            "read: JSON list, rare tag",
            format!("/api/bookmarks?tag={rare}"),
            true,
        ),
        (
            "read: search (JSON)",
            format!("/api/bookmarks?q={search}"),
            true,
        ),
        ("read: Atom feed", "/u/bench0/feed.atom".into(), false),
        (
            "read: Pinboard posts/recent",
            format!("/api/v1/posts/recent?auth_token={pinboard_auth}"),
            false,
        ),
    ];
    for (scenario, path, authorised) in reads {
        let headers = if authorised {
            vec![auth.clone()]
        } else {
            Vec::new()
        };
        let url = server.url(&path);
        check(&url, &headers).await;
        measure_reads(
            &server,
            scenario,
            backend,
            format!("{size} bookmarks, {READ_CONNECTIONS} connections"),
            &Load::Get { url, headers },
            settings,
            report,
        );
    }
}

pub async fn writes(
    backend: Backend,
    settings: &Settings,
    writes: bool,
    mixed: bool,
    report: &mut Report,
) {
    let size = 100_000;
    let dataset = dataset(backend, size, settings.users, "writes");
    let server = Server::start(&dataset.database_url, "writes").await;
    let mut run_number = 0;
    let mut script = |script: &'static str, read_paths: &[String]| {
        run_number += 1;
        let mut args = vec![
            format!("run{run_number}"),
            dataset.token.clone(),
            "bench0".to_owned(),
        ];
        args.extend(read_paths.iter().cloned());
        Load::Script {
            base: server.url("/"),
            script,
            args,
        }
    };
    if writes {
        for (scenario, name) in [
            ("write: JSON API create", load::API_CREATE),
            (
                "write: JSON API create, the data's tags",
                load::API_CREATE_DATA_TAGS,
            ),
            ("write: Pinboard posts/add", load::PINBOARD_ADD),
        ] {
            for connections in [1, 8] {
                // Each run writes new addresses: a load built per run.
                server.reset_peak();
                let runs: Vec<LoadResult> = (0..settings.runs)
                    .map(|_| load::run(&script(name, &[]), connections, settings.duration))
                    .collect();
                report.add_load(
                    scenario,
                    backend,
                    format!("{size} bookmarks, {connections} connection(s)"),
                    median_load(&runs),
                    server.peak_rss_mb(),
                );
            }
        }
    }
    if mixed {
        let reads = [
            "/api/bookmarks".to_owned(),
            "/u/bench0".to_owned(),
            format!("/api/bookmarks?tag={}", data::tag(0)),
            format!("/u/bench0/t/{}", data::tag(3)),
        ];
        server.reset_peak();
        let result = load::run(&script(load::MIXED, &reads), 8, settings.mixed_duration);
        report.add_load(
            "mixed: 90 % reads, 10 % API creates",
            backend,
            format!(
                "{size} bookmarks, 8 connections, {} s",
                settings.mixed_duration.as_secs()
            ),
            result,
            server.peak_rss_mb(),
        );
    }
}
