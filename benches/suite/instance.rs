//! Databases and server processes for the benchmark: a fresh database on either backend, data
//! loaded with `commonplace import`, and `commonplace serve` started as an operator would start
//! it (release build, default settings), watched through `/proc` for its memory.

use diesel::{Connection, PgConnection, RunQueryDsl};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BINARY: &str = env!("CARGO_BIN_EXE_commonplace");
const PASSWORD: &str = "benchmark password";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// Where the benchmark keeps its files: generated data, SQLite databases, server logs.
pub fn work_dir() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target").to_owned());
    PathBuf::from(target).join("bench")
}

/// A fresh, empty database (made anew, whatever an earlier run left), migrated.
pub fn fresh_database(backend: Backend, name: &str) -> String {
    let url = match backend {
        Backend::Sqlite => {
            let dir = work_dir().join("db");
            std::fs::create_dir_all(&dir).expect("create the database directory");
            let path = dir.join(format!("{name}.db"));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            path.display().to_string()
        }
        Backend::Postgres => {
            let server = std::env::var("BENCH_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
            // libpq's connection options, after the database's name. By default no TLS: the
            // database is on this machine, where without TLS the JSON list served a fifth more
            // requests a second (docs/performance.md, "Twelfth round").
            let options = std::env::var("BENCH_POSTGRES_OPTIONS")
                .unwrap_or_else(|_| "sslmode=disable".to_owned());
            let options = if options.is_empty() {
                String::new()
            } else {
                format!("?{options}")
            };
            let mut admin = PgConnection::establish(&format!("{server}/postgres{options}"))
                .expect("connect to PostgreSQL (set BENCH_POSTGRES_URL=postgres://USER@HOST:PORT)");
            let database = format!("commonplace_bench_{name}");
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                .execute(&mut admin)
                .expect("drop the old benchmark database");
            diesel::sql_query(format!("CREATE DATABASE {database}"))
                .execute(&mut admin)
                .expect("create the benchmark database");
            format!("{server}/{database}{options}")
        }
    };
    run(command(&url).arg("migrate"), "");
    url
}

/// The `commonplace` binary with the database and quiet logs set.
pub fn command(database_url: &str) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env("COMMONPLACE_DATABASE_URL", database_url)
        .env("RUST_LOG", "warn");
    command
}

/// Runs a command to its end, feeding `input` to its standard input; panics with its output if
/// it fails. Returns its standard output, the wall time and its peak RSS in MB.
pub fn run(command: &mut Command, input: &str) -> (String, Duration, f64) {
    let started = Instant::now();
    // Waited for with wait4 (below), which std's Child cannot do, for the child's peak memory.
    #[allow(clippy::zombie_processes)]
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start commonplace");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).expect("write to stdin");
    }
    let pid = child.id();
    // Read the output on threads so a chatty child never blocks on a full pipe.
    let stdout = child.stdout.take().map(read_on_thread);
    let stderr = child.stderr.take().map(read_on_thread);
    let (status, peak_rss_mb) = wait_with_peak_rss(pid);
    let elapsed = started.elapsed();
    let stdout = stdout
        .map(|t| t.join().unwrap_or_default())
        .unwrap_or_default();
    let stderr = stderr
        .map(|t| t.join().unwrap_or_default())
        .unwrap_or_default();
    assert!(
        status == 0,
        "{command:?} failed ({status}): {stdout}{stderr}"
    );
    (stdout, elapsed, peak_rss_mb)
}

fn read_on_thread<R: std::io::Read + Send + 'static>(
    mut reader: R,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = reader.read_to_string(&mut text);
        text
    })
}

/// Waits for the child and returns its exit status and its peak resident memory, which the
/// kernel reports for a finished child (`ru_maxrss`) and nothing else in std does.
fn wait_with_peak_rss(pid: u32) -> (i32, f64) {
    let mut status = 0;
    // SAFETY: rusage is plain old data, zeroed is a valid value, and wait4 only writes to it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet waited for; the pointers are to live locals.
    let waited = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert!(waited == pid as libc::pid_t, "wait4 failed");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, usage.ru_maxrss as f64 / 1024.0)
}

pub fn add_user(database_url: &str, name: &str) {
    run(
        command(database_url).args(["user", "add", name, "--password-stdin"]),
        &format!("{PASSWORD}\n"),
    );
}

pub fn create_token(database_url: &str, name: &str) -> String {
    let (token, _, _) = run(command(database_url).args(["token", "create", name]), "");
    token.trim().to_owned()
}

/// Imports a file with `commonplace import`; returns its wall time and peak RSS in MB.
pub fn import(database_url: &str, user: &str, file: &Path) -> (Duration, f64) {
    let (_, elapsed, rss) = run(
        command(database_url)
            .args(["import", "--user", user])
            .arg(file),
        "",
    );
    (elapsed, rss)
}

/// A running `commonplace serve`.
pub struct Server {
    child: Child,
    pub port: u16,
    /// From spawning the process to the first answered `/healthz`.
    pub start_up: Duration,
}

impl Server {
    pub async fn start(database_url: &str, log_name: &str) -> Server {
        let port = free_port();
        let logs = work_dir().join("logs");
        std::fs::create_dir_all(&logs).expect("create the log directory");
        let log = std::fs::File::create(logs.join(format!("{log_name}.log")))
            .expect("create the server log");
        let started = Instant::now();
        let child = command(database_url)
            .env("RUST_LOG", "info")
            .env("COMMONPLACE_BIND", format!("127.0.0.1:{port}"))
            .env("COMMONPLACE_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("COMMONPLACE_FEDERATION__MODE", "local-test")
            .arg("serve")
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start commonplace serve");
        let client = reqwest::Client::new();
        let health = format!("http://127.0.0.1:{port}/healthz");
        loop {
            if let Ok(response) = client.get(&health).send().await {
                if response.status().is_success() {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not answer within a minute; see {}",
                logs.display()
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Server {
            child,
            port,
            start_up: started.elapsed(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn status_field_mb(&self, field: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|line| line.starts_with(field))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }

    /// Resident memory now, in MB.
    pub fn rss_mb(&self) -> f64 {
        self.status_field_mb("VmRSS:")
    }

    /// The most resident memory since start or the last `reset_peak`, in MB.
    pub fn peak_rss_mb(&self) -> f64 {
        self.status_field_mb("VmHWM:")
    }

    /// Starts a new peak-memory measurement (Linux's `clear_refs` with 5 resets VmHWM).
    pub fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port on loopback")
}
