//! The `commonplace` binary as an operator uses it: migrate, add and list users, create a token
//! that works on the API, and serve a fresh database with a one-time setup link.

// A failing expectation in a test should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_commonplace");

/// A command with a fresh database in `dir` and no COMMONPLACE_ settings from the caller.
fn commonplace(dir: &std::path::Path, database_url: &str) -> Command {
    let mut command = Command::new(BINARY);
    command.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("COMMONPLACE_") {
            command.env_remove(key);
        }
    }
    command.env("COMMONPLACE_DATABASE_URL", database_url);
    command
}

fn run(command: &mut Command, stdin: &str) -> (bool, String, String) {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait");
    let mut stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() && stderr.is_empty() {
        // Say how it ended, so a crash is not an empty message.
        stderr = format!("(no message; {})", output.status);
    }
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    )
}

#[test]
fn operators_manage_users_and_tokens_from_the_command_line() {
    let test_db = bookmarks::test_db::TestDatabase::new();
    let dir = tempfile::tempdir().expect("dir");
    let cli = || commonplace(dir.path(), &test_db.url);

    let (ok, out, err) = run(cli().arg("migrate"), "");
    assert!(ok, "{err}");
    assert!(out.contains("applied"), "{out}");
    let (ok, out, _) = run(cli().arg("migrate"), "");
    assert!(ok && out.contains("up to date"), "{out}");

    let (ok, out, err) = run(
        cli().args(["user", "add", "alice", "--admin", "--password-stdin"]),
        "correct horse battery\n",
    );
    assert!(ok, "{err}");
    assert!(out.contains("created alice (admin)"), "{out}");
    let (ok, _, err) = run(
        cli().args(["user", "add", "alice", "--password-stdin"]),
        "correct horse battery\n",
    );
    assert!(!ok && err.contains("taken"), "{err}");
    let (ok, _, err) = run(
        cli().args(["user", "add", "bob", "--password-stdin"]),
        "short\n",
    );
    assert!(!ok && err.contains("at least 10"), "{err}");

    let (ok, out, _) = run(cli().args(["user", "list"]), "");
    assert!(
        ok && out.contains("alice") && out.contains("admin") && !out.contains("bob"),
        "{out}"
    );

    let (ok, out, err) = run(cli().args(["token", "create", "alice"]), "");
    assert!(ok, "{err}");
    let token = out.trim();
    assert!(
        token.starts_with("cp_") && !token.contains(char::is_whitespace),
        "only the token on stdout: {out:?}"
    );
    let owner = test_db_user_for_token(&test_db.url, token);
    assert_eq!(owner.as_deref(), Some("alice"));
    let (ok, _, err) = run(cli().args(["token", "create", "nobody"]), "");
    assert!(!ok && err.contains("no user `nobody`"), "{err}");
}

fn test_db_user_for_token(url: &str, token: &str) -> Option<String> {
    let db = bookmarks::Database::open(url).expect("open");
    db.read(|c| bookmarks::store::user_for_api_token(c, token))
        .expect("lookup")
        .map(|u| u.name.to_string())
}

#[test]
fn bad_configuration_stops_the_server_naming_the_key() {
    let dir = tempfile::tempdir().expect("dir");
    let (ok, _, err) = run(
        commonplace(dir.path(), "x.db")
            .arg("serve")
            .env("COMMONPLACE_BINDD", "1"),
        "",
    );
    assert!(!ok);
    assert!(err.contains("bindd"), "{err}");
    let (ok, _, err) = run(
        commonplace(dir.path(), "x.db").args(["--config", "missing.toml", "serve"]),
        "",
    );
    assert!(!ok && err.contains("missing.toml"), "{err}");
    let (ok, _, err) = run(
        commonplace(dir.path(), "x.db")
            .arg("serve")
            .env("COMMONPLACE_BIND", "127.0.0.1:0")
            .env(
                "COMMONPLACE_FEDERATION__EXTRA_CA_CERTIFICATES",
                "/nonexistent/office-ca.pem",
            ),
        "",
    );
    assert!(
        !ok && err.contains("/nonexistent/office-ca.pem") && err.contains("extra_ca_certificates"),
        "{err}"
    );
}

#[test]
fn serve_creates_the_database_and_prints_a_setup_link() {
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let mut child = commonplace(dir.path(), "data/commonplace.db")
        .arg("serve")
        .env("COMMONPLACE_BIND", format!("127.0.0.1:{port}"))
        .env("COMMONPLACE_PUBLIC_URL", format!("http://localhost:{port}"))
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = sender.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut setup = None;
    let mut lines = Vec::new();
    while setup.is_none() && Instant::now() < deadline {
        if let Ok(line) = receiver.recv_timeout(Duration::from_millis(200)) {
            if line.contains("/setup?code=") {
                setup = Some(line.trim().to_owned());
            }
            lines.push(line);
        }
    }
    let healthy = get_status(&format!("http://127.0.0.1:{port}/healthz"));
    let setup_status = setup.as_deref().map(get_status);
    // The request's own line in the log.
    let logged = |lines: &[String]| lines.iter().any(|l| l.contains("\"GET /healthz\" 200"));
    while !logged(&lines) && Instant::now() < deadline {
        if let Ok(line) = receiver.recv_timeout(Duration::from_millis(200)) {
            lines.push(line);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(logged(&lines), "a line for the request: {lines:?}");
    assert!(
        lines.iter().all(|l| !l.contains('\u{1b}')),
        "no colour codes when stdout is not a terminal: {lines:?}"
    );
    let setup = setup.expect("a setup link on stdout");
    assert!(
        setup.starts_with(&format!("http://localhost:{port}/setup?code=cp_")),
        "{setup}"
    );
    assert_eq!(healthy, 200);
    assert_eq!(
        setup_status,
        Some(200),
        "the printed link opens the setup form"
    );
    assert!(
        dir.path().join("data/commonplace.db").exists(),
        "database file created with its directory"
    );
}

/// A GET from a plain thread: a one-off runtime, the status code (0 when unreachable).
fn get_status(url: &str) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        reqwest::get(url)
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    })
}

#[test]
fn import_and_export_from_the_command_line() {
    let test_db = bookmarks::test_db::TestDatabase::new();
    let dir = tempfile::tempdir().expect("dir");
    let cli = || commonplace(dir.path(), &test_db.url);
    let (ok, _, err) = run(
        cli().args(["user", "add", "alice", "--password-stdin"]),
        "correct horse battery\n",
    );
    assert!(ok, "{err}");
    let file = dir.path().join("pinboard.html");
    std::fs::write(
        &file,
        "<DL><p><DT><A HREF=\"https://e.com/a\" ADD_DATE=\"1600000000\" TAGS=\"x\">A</A><DD>why\n<DT><A HREF=\"mailto:x@y\">mail</A></DL><p>",
    )
    .expect("write");
    let (ok, out, err) = run(cli().args(["import", "--user", "alice"]).arg(&file), "");
    assert!(ok, "{err}");
    assert!(
        out.contains(
            "2 entries (Netscape bookmark HTML) for alice: 1 imported, 0 updated, 1 skipped"
        ),
        "{out}"
    );
    assert!(out.contains("skipped entry 2 (mailto:x@y)"), "{out}");
    let (ok, out, _) = run(cli().args(["import", "--user", "alice"]).arg(&file), "");
    assert!(
        ok && out.contains("0 imported") && out.contains("already saved"),
        "re-running is safe: {out}"
    );

    let exported = dir.path().join("out.json");
    let (ok, _, err) = run(
        cli()
            .args([
                "export",
                "--user",
                "alice",
                "--format",
                "pinboard-json",
                "--out",
            ])
            .arg(&exported),
        "",
    );
    assert!(ok, "{err}");
    let json = std::fs::read_to_string(&exported).expect("export written");
    let posts: serde_json::Value = serde_json::from_str(&json).expect("a JSON export");
    assert_eq!(
        (&posts[0]["href"], &posts[0]["extended"]),
        (&"https://e.com/a".into(), &"why".into()),
        "{json}"
    );
    assert!(
        !dir.path().join("out.json.partial").exists(),
        "the export was written beside the file and renamed"
    );
    // A file that cannot be written (its directory does not exist) fails the command and
    // leaves nothing behind.
    let nowhere = dir.path().join("missing").join("out.json");
    let (ok, _, err) = run(
        cli()
            .args(["export", "--user", "alice", "--format", "netscape", "--out"])
            .arg(&nowhere),
        "",
    );
    assert!(!ok && err.contains("cannot create"), "{err}");
    // An export replacing a file keeps who may read it; one whose `.partial` is there (another
    // export to the same file) is refused and leaves it alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exported, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let export_again = |out: &std::path::Path| {
            run(
                cli()
                    .args(["export", "--user", "alice", "--format", "netscape", "--out"])
                    .arg(out),
                "",
            )
        };
        let (ok, _, err) = export_again(&exported);
        assert!(ok, "{err}");
        let mode = std::fs::metadata(&exported)
            .expect("exported")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let partial = dir.path().join("out.json.partial");
        std::fs::write(&partial, "someone else's").expect("write");
        let (ok, _, err) = export_again(&exported);
        assert!(!ok && err.contains("another export"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&partial).ok().as_deref(),
            Some("someone else's")
        );
    }
    let (ok, html, _) = run(
        cli().args(["export", "--user", "alice", "--format", "netscape"]),
        "",
    );
    assert!(ok && html.starts_with("<!DOCTYPE NETSCAPE-Bookmark-file-1>"));

    let (ok, out, err) = run(cli().arg("reindex"), "");
    assert!(
        ok && out.contains("Indexed 1 bookmark for search."),
        "{out}{err}"
    );

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "[{\"href\": ").expect("write");
    let (ok, _, err) = run(cli().args(["import", "--user", "alice"]).arg(&broken), "");
    assert!(!ok && err.contains("nothing was imported"), "{err}");
}
