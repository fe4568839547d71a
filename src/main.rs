//! `commonplace`: the thin binary. Parses the command line, loads the configuration, and hands
//! over to the crates: `web` serves, `bookmarks` stores.

mod commands;
mod config;
mod memory;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Federated social bookmarking for organisations.
#[derive(Parser)]
#[command(name = "commonplace", version, about, long_about = None)]
struct Cli {
    /// A TOML file layered over the defaults (see config/default.toml for every key).
    #[arg(long, global = true, env = "COMMONPLACE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve Commonplace (creates and migrates the database on first start).
    Serve,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Rebuild the full-text search index from every bookmark (after restoring the index's
    /// table from elsewhere, or if a search misses bookmarks it should find). Safe while the
    /// server runs; if stopped halfway, the next start finishes it.
    Reindex,
    /// Import bookmarks from a Netscape bookmark file (exported by browsers, Pinboard,
    /// Delicious, linkding) or a Pinboard JSON export; the format is detected.
    Import {
        /// Whose bookmarks they become.
        #[arg(long)]
        user: String,
        /// What to do with an address the user already saved.
        #[arg(long, value_enum, default_value_t = Duplicates::Skip)]
        on_duplicate: Duplicates,
        /// Send the imported bookmarks to followers too (by default an import federates nothing).
        #[arg(long)]
        federate: bool,
        /// The file to import.
        file: PathBuf,
    },
    /// Export a user's bookmarks (all of them, private ones included).
    Export {
        /// Whose bookmarks.
        #[arg(long)]
        user: String,
        /// netscape: HTML every browser imports; pinboard-json: Pinboard's JSON.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Duplicates {
    /// Keep the saved bookmark (re-running an import is safe).
    Skip,
    /// Overwrite it with the file's values.
    Update,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    Netscape,
    PinboardJson,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. Prompts for the password unless --password-stdin is given.
    Add {
        /// The user name: letters a–z, digits, `_` and `-`.
        name: String,
        /// Make the account an administrator (can invite people).
        #[arg(long)]
        admin: bool,
        /// Read the password from the first line of standard input (for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for the user NAME and print only the token.
    Create {
        /// Whose token it is.
        name: String,
        /// What the token is for, shown in Settings.
        #[arg(long, default_value = "command line")]
        label: String,
    },
}

fn main() -> ExitCode {
    memory::tune_allocator();
    let cli = Cli::parse();
    let settings = match config::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("commonplace: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Serve => commands::serve(settings),
        Command::Migrate => commands::migrate(&settings),
        Command::Reindex => commands::reindex(&settings),
        Command::User(UserCommand::Add {
            name,
            admin,
            password_stdin,
        }) => commands::add_user(&settings, &name, admin, password_stdin),
        Command::User(UserCommand::List) => commands::list_users(&settings),
        Command::Token(TokenCommand::Create { name, label }) => {
            commands::create_token(&settings, &name, &label)
        }
        Command::Import {
            user,
            on_duplicate,
            federate,
            file,
        } => {
            let on_duplicate = match on_duplicate {
                Duplicates::Skip => bookmarks::model::OnDuplicate::Skip,
                Duplicates::Update => bookmarks::model::OnDuplicate::Update,
            };
            commands::import(&settings, &user, &file, on_duplicate, federate)
        }
        Command::Export { user, format, out } => {
            let format = match format {
                ExportFormat::Netscape => web::interchange::ExportFormat::Netscape,
                ExportFormat::PinboardJson => web::interchange::ExportFormat::PinboardJson,
            };
            commands::export(&settings, &user, format, out.as_deref())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("commonplace: {e:#}");
            ExitCode::FAILURE
        }
    }
}
