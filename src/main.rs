//! `commonplace`: the thin binary. Parses the command line, loads the configuration, and hands
//! over to the crates: `web` serves, `bookmarks` stores.

mod commands;
mod config;

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
        Command::User(UserCommand::Add {
            name,
            admin,
            password_stdin,
        }) => commands::add_user(&settings, &name, admin, password_stdin),
        Command::User(UserCommand::List) => commands::list_users(&settings),
        Command::Token(TokenCommand::Create { name, label }) => {
            commands::create_token(&settings, &name, &label)
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
