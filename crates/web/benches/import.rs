//! Import benchmark: generates a realistic Netscape bookmark file (seeded, so every run imports
//! the same file) and times parsing and importing it into a fresh SQLite database.
//!
//!     cargo bench -p commonplace-web --bench import              # 100,000 bookmarks
//!     BENCH_BOOKMARKS=10000 cargo bench -p commonplace-web --bench import
//!
//! Prints wall times, bookmarks per second and the process's peak RSS. Set
//! COMMONPLACE_TEST_DATABASE_URL to a postgres:// URL to import into PostgreSQL instead.

// A benchmark's failures should panic with their message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bookmarks::model::{ActorKeys, Password, PasswordHash, UserName};
use bookmarks::store::{self, NewAccount};
use bookmarks::test_db::TestDatabase;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fmt::Write;
use std::time::Instant;
use web::interchange::{parse_file, run_import, ImportOptions};

const VOCABULARY: usize = 2_000;
const WORDS: &[&str] = &[
    "rust",
    "async",
    "database",
    "design",
    "notes",
    "guide",
    "release",
    "performance",
    "security",
    "web",
    "api",
    "testing",
    "linux",
    "history",
    "writing",
    "research",
    "team",
    "office",
    "meeting",
    "onboarding",
    "tutorial",
    "reference",
    "paper",
    "talk",
    "video",
    "library",
    "tooling",
    "review",
    "incident",
    "postmortem",
    "architecture",
    "cache",
    "queue",
    "search",
];
const HOSTS: &[&str] = &[
    "github.com",
    "docs.rs",
    "blog.example.org",
    "en.wikipedia.org",
    "news.ycombinator.com",
    "lwn.net",
    "arxiv.org",
    "www.youtube.com",
    "medium.com",
    "developer.mozilla.org",
    "stackoverflow.com",
    "intranet.office-a.example",
];

/// Picks tag ranks with probability proportional to 1/rank (Zipf-like): a few tags are on
/// many bookmarks, most on few.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(1.07);
                total
            })
            .collect();
        Self { cumulative }
    }

    fn sample(&self, rng: &mut StdRng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.gen::<f64>() * total;
        self.cumulative.partition_point(|c| *c < x)
    }
}

fn tag_name(rank: usize) -> String {
    let word = WORDS[rank % WORDS.len()];
    if rank < WORDS.len() {
        word.to_owned()
    } else {
        format!("{word}-{}", rank / WORDS.len())
    }
}

fn sentence(rng: &mut StdRng, words: usize) -> String {
    (0..words)
        .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

/// A Netscape file of `n` bookmarks: realistic URLs, titles, ~200-character notes, 1–5 tags.
pub fn generate(n: usize, seed: u64) -> String {
    let mut rng = StdRng::seed_from_u64(seed);
    let zipf = Zipf::new(VOCABULARY);
    let mut out = String::from("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=UTF-8\">\n<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n");
    for i in 0..n {
        let host = HOSTS[rng.gen_range(0..HOSTS.len())];
        let tag_count = rng.gen_range(1..=5);
        let mut tags: Vec<String> = (0..tag_count)
            .map(|_| tag_name(zipf.sample(&mut rng)))
            .collect();
        tags.sort();
        tags.dedup();
        let added = 1_400_000_000 + i as i64 * 3_000 + rng.gen_range(0..3_000);
        let title_words = rng.gen_range(3..9);
        let title = sentence(&mut rng, title_words);
        let notes = sentence(&mut rng, 28);
        let _ = writeln!(
            out,
            "<DT><A HREF=\"https://{host}/{}/{i}?ref={}\" ADD_DATE=\"{added}\" PRIVATE=\"{}\" TOREAD=\"{}\" TAGS=\"{}\">{title}</A>\n<DD>{notes}",
            tags[0],
            rng.gen_range(0..1000),
            u8::from(rng.gen_bool(0.1)),
            u8::from(rng.gen_bool(0.05)),
            tags.join(","),
        );
    }
    out.push_str("</DL><p>\n");
    out
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_owned)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let n: usize = std::env::var("BENCH_BOOKMARKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let started = Instant::now();
    let file = generate(n, 42);
    let generated = started.elapsed();
    let (_guard, db) = TestDatabase::connect();
    let account = NewAccount {
        name: UserName::parse("bench").unwrap(),
        password_hash: PasswordHash::new(&Password::parse("benchmark password").unwrap()).unwrap(),
        is_admin: false,
        keys: ActorKeys::generate().unwrap(),
    };
    let user = db.write(|c| store::create_user(c, &account)).unwrap();
    let rss_before = peak_rss_mb();

    let started = Instant::now();
    let parsed = parse_file(file.as_bytes()).expect("the generated file parses");
    let parsing = started.elapsed();
    let entries = parsed.entries.len();
    let batch_size = std::env::var("BENCH_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ImportOptions::default().batch_size);
    let report = run_import(
        &db,
        user.id,
        parsed,
        ImportOptions {
            batch_size,
            ..ImportOptions::default()
        },
        &mut |_, _| {},
    )
    .expect("import");
    let total = started.elapsed();
    assert_eq!(report.created, entries);
    println!("backend:            {:?}", db.backend());
    println!(
        "bookmarks:          {n} ({:.1} MB file, generated in {:.2} s)",
        file.len() as f64 / 1e6,
        generated.as_secs_f64()
    );
    println!("parse:              {:.2} s", parsing.as_secs_f64());
    println!(
        "parse + import:     {:.2} s ({:.0} bookmarks/s)",
        total.as_secs_f64(),
        n as f64 / total.as_secs_f64()
    );
    println!("peak RSS:           {:.0} MB (before parsing: {rss_before:.0} MB, includes the generated file)", peak_rss_mb());
}
