//! The subcommands. Each opens the database itself; `serve` hands over to `web::Application`.

use anyhow::{bail, Context};
use bookmarks::model::{ActorKeys, Password, PasswordHash, UserName};
use bookmarks::store::{self, NewAccount};
use bookmarks::Database;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use web::Settings;

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        // Colours for a person at a terminal who has not asked for none (`NO_COLOR`); plain
        // text for files, pipes and journald.
        .with_ansi(std::io::stdout().is_terminal() && !no_color_asked())
        .init();
}

/// Whether `NO_COLOR` is set to something (<https://no-color.org>).
fn no_color_asked() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

fn open_database(settings: &Settings) -> anyhow::Result<Database> {
    Database::connect(&settings.database_url)
        .with_context(|| format!("database_url `{}`", settings.database_url))
}

pub fn serve(settings: Settings) -> anyhow::Result<()> {
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let public = settings.base_url();
        let application = web::Application::build(settings).await?;
        println!("Commonplace is serving {public} (listening on port {})", application.port());
        if let Some(url) = application.setup_url() {
            println!("No account exists yet. Open this one-time link to create the first (admin) account:");
            println!("  {url}");
        }
        application.run_until_stopped().await?;
        Ok(())
    })
}

pub fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = Database::open(&settings.database_url)
        .with_context(|| format!("database_url `{}`", settings.database_url))?;
    let applied = db.migrate()?;
    if applied.is_empty() {
        println!("The database is up to date.");
    } else {
        for name in applied {
            println!("applied {name}");
        }
    }
    Ok(())
}

pub fn reindex(settings: &Settings) -> anyhow::Result<()> {
    // Opened, not connected: connecting would fill a recorded index before the reindex
    // fills it again.
    let db = Database::open(&settings.database_url)
        .with_context(|| format!("database_url `{}`", settings.database_url))?;
    let indexed = db.reindex()?;
    let noun = if indexed == 1 {
        "bookmark"
    } else {
        "bookmarks"
    };
    println!("Indexed {indexed} {noun} for search.");
    Ok(())
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Password again: ")?;
    if first != second {
        bail!("the two passwords differ; run the command again");
    }
    Ok(first)
}

pub fn add_user(
    settings: &Settings,
    name: &str,
    admin: bool,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let name = UserName::parse(name)?;
    let password = Password::parse(&read_password(password_stdin)?)?;
    let account = NewAccount {
        name,
        password_hash: PasswordHash::new(&password)?,
        is_admin: admin,
        keys: ActorKeys::generate()?,
    };
    let db = open_database(settings)?;
    let user = db.write(|c| store::create_user(c, &account))?;
    println!(
        "created {}{}",
        user.name,
        if user.is_admin { " (admin)" } else { "" }
    );
    Ok(())
}

pub fn list_users(settings: &Settings) -> anyhow::Result<()> {
    let db = open_database(settings)?;
    let users = db.read(store::list_users)?;
    if users.is_empty() {
        println!("No accounts yet. Start the server for the setup link, or run `commonplace user add NAME --admin`.");
    }
    for user in users {
        let role = if user.is_admin { "admin" } else { "user" };
        println!(
            "{:<32} {:<6} created {}",
            user.name.as_str(),
            role,
            user.created_at.format("%Y-%m-%d")
        );
    }
    Ok(())
}

pub fn create_token(settings: &Settings, name: &str, label: &str) -> anyhow::Result<()> {
    let name = UserName::parse(name)?;
    let db = open_database(settings)?;
    let secret = db.write(|c| {
        let user = store::find_user_by_name(c, &name)?.ok_or_else(|| {
            bookmarks::FieldError::new(
                "name",
                format!("there is no user `{name}`; see `commonplace user list`"),
            )
        })?;
        store::create_api_token(c, user.id, label)
    })?;
    println!("{}", secret.as_str());
    Ok(())
}

fn find_user(db: &Database, name: &str) -> anyhow::Result<store::User> {
    let name = UserName::parse(name)?;
    db.read(|c| store::find_user_by_name(c, &name))?
        .ok_or_else(|| anyhow::anyhow!("there is no user `{name}`; see `commonplace user list`"))
}

/// Bookmarks per transaction of `commonplace import`: five times an upload's, since an
/// operator's import is the bulk load. 100,000 bookmarks took 15–18 s against 18–22 s in
/// batches of 2,000 (single runs), with the same peak memory. A batch holds SQLite's write lock
/// for about a second, which a running server's writes wait out (up to its 15 s busy timeout).
const CLI_IMPORT_BATCH: usize = 10_000;

/// Batches `commonplace import` writes at once on PostgreSQL: two, or one on a machine of one
/// core (where the database's server, on it too, would have no second core). On two cores
/// 100,000 bookmarks took 28.8–29.9 s with two against 46–48 s with one (the database's server
/// had worked on one core), and 30–35 s with three, for 8 MB more memory; more were not
/// measured on a machine with more cores (where the database's server may be another machine,
/// whose cores this command does not see).
fn cli_import_writers() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| cores.get().min(2))
}

pub fn import(
    settings: &Settings,
    user: &str,
    file: &Path,
    on_duplicate: bookmarks::model::OnDuplicate,
    federate: bool,
) -> anyhow::Result<()> {
    let db = open_database(settings)?;
    let user = find_user(&db, user)?;
    let started = std::time::Instant::now();
    // The bar's length is the entries read so far, until the file has been read through.
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{bar:40}] {pos}/{len} bookmarks, {per_sec}, {eta} left",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let options = web::interchange::ImportOptions {
        on_duplicate,
        federate,
        batch_size: CLI_IMPORT_BATCH,
        writers: cli_import_writers(),
    };
    let report =
        web::interchange::run_streamed_import(&db, user.id, file, options, &mut |done, total| {
            bar.set_length(u64::try_from(total).unwrap_or(0));
            bar.set_position(u64::try_from(done).unwrap_or(0));
        });
    bar.finish_and_clear();
    let report = match report {
        Ok(report) => report,
        Err(e @ web::interchange::StreamedImportError::File(_)) => {
            anyhow::bail!("{}: {e}", file.display())
        }
        Err(e) => return Err(anyhow::Error::new(e).context("the import stopped; the bookmarks imported so far are complete, and running the same import again continues where it stopped")),
    };
    let format = report.format;
    let mut out = std::io::stdout().lock();
    for skipped in &report.skipped {
        writeln!(out, "skipped {skipped}")?;
    }
    writeln!(
        out,
        "{}: {} entries ({format}) for {}: {} imported, {} updated, {} skipped, in {:.1} s",
        file.display(),
        report.total,
        user.name,
        report.created,
        report.updated,
        report.skipped.len(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}

pub fn export(
    settings: &Settings,
    user: &str,
    format: web::interchange::ExportFormat,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let db = open_database(settings)?;
    let user = find_user(&db, user)?;
    let mut export = web::interchange::Export::new(user, format);
    match out {
        // Written beside the file and renamed over it once whole, so that a failed export
        // leaves no half-written file (and an earlier export there as it was).
        Some(path) => {
            // Through a symbolic link to the file it names, as a plain write would go.
            let target = if path.is_symlink() {
                std::fs::canonicalize(path)
                    .with_context(|| format!("cannot follow the link {}", path.display()))?
            } else {
                path.to_path_buf()
            };
            let partial = partial_path(&target);
            let file = create_partial(&partial, &target)?;
            let written = write_export(&db, &mut export, file, &partial).and_then(|()| {
                std::fs::rename(&partial, &target).with_context(|| {
                    format!(
                        "cannot rename {} to {}",
                        partial.display(),
                        target.display()
                    )
                })
            });
            if written.is_err() {
                let _ = std::fs::remove_file(&partial);
            }
            written
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            while let Some(piece) = export.next_piece(&db)? {
                stdout.write_all(piece.as_bytes())?;
            }
            Ok(stdout.flush()?)
        }
    }
}

/// `FILE.partial` beside `FILE`.
fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Creates `partial`, refusing one that exists (another export to the same file may be
/// writing it), readable by whoever may read the `target` it replaces, or by its owner alone
/// for a new one: an export holds private bookmarks.
fn create_partial(partial: &Path, target: &Path) -> anyhow::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mode = std::fs::metadata(target).map_or(0o600, |m| m.permissions().mode() & 0o777);
        options.mode(mode);
    }
    options.open(partial).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} exists: another export to {} may be running; remove it if not",
                partial.display(),
                target.display()
            )
        } else {
            anyhow::Error::new(e).context(format!("cannot create {}", partial.display()))
        }
    })
}

fn write_export(
    db: &Database,
    export: &mut web::interchange::Export,
    file: std::fs::File,
    to: &Path,
) -> anyhow::Result<()> {
    let mut file = std::io::BufWriter::new(file);
    while let Some(piece) = export.next_piece(db)? {
        file.write_all(piece.as_bytes())
            .with_context(|| format!("cannot write {}", to.display()))?;
    }
    file.into_inner()
        .map_err(std::io::IntoInnerError::into_error)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot write {}", to.display()))
}
