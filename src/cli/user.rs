//! `tmtm user add|list|passwd|disable|enable`: manage the users of this node directly in its
//! database (SQLite or PostgreSQL, from the same configuration as `tmtm serve`), with the
//! node's own user operations (Argon2id hashes, name and password rules). The node may be
//! running: changes apply to its next request.

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use tmtm_node::api::clock::system_clock;
use tmtm_node::api::users::{self, UserError};
use tmtm_node::config::NodeConfig;
use tmtm_node::storage::{Database, Role};

use super::args::{load_config, runtime, ConfigArgs};
use super::exit::{fail, REFUSED, RUNTIME, USAGE};
use super::password::PasswordInput;
use super::table;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user (password from a prompt or --password-stdin).
    #[command(after_help = "Examples:\n  tmtm user add anna --role admin\n  \
printf '%s\\n' \"$PW\" | tmtm user add erp-export --password-stdin")]
    Add(AddArgs),
    /// List the users: name, role, active or disabled.
    #[command(after_help = "Examples:\n  tmtm user list\n  tmtm user list --json")]
    List(ListArgs),
    /// Set a user's password (ends the user's dashboard sessions).
    #[command(after_help = "Examples:\n  tmtm user passwd anna\n  \
printf '%s\\n' \"$PW\" | tmtm user passwd anna --password-stdin")]
    Passwd(PasswdArgs),
    /// Disable a user: ends the user's sessions and revokes the user's tokens.
    #[command(after_help = "Example:\n  tmtm user disable anna")]
    Disable(NameArgs),
    /// Re-enable a disabled user.
    #[command(after_help = "Example:\n  tmtm user enable anna")]
    Enable(NameArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Admin,
    User,
}

#[derive(Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// User name (1-150 printable characters).
    pub username: String,
    /// What the user may do: admin manages users and any user's tokens.
    #[arg(long, value_enum, default_value = "user")]
    pub role: RoleArg,
    /// Read the password from the first line of stdin instead of a prompt.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct PasswdArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// User name.
    pub username: String,
    /// Read the password from the first line of stdin instead of a prompt.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Args)]
pub struct NameArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// User name.
    pub username: String,
}

fn user_error(e: UserError) -> anyhow::Error {
    let code = match &e {
        UserError::Exists(_) | UserError::NotFound(_) => REFUSED,
        UserError::InvalidUsername(_) | UserError::BadPassword(_) => USAGE,
        _ => RUNTIME,
    };
    fail(code, e.to_string())
}

/// Opens the node's database; refuses an SQLite data directory without a key store (a typo
/// in `--data-dir` must not create an empty database somewhere).
async fn open(config: &NodeConfig) -> anyhow::Result<Database> {
    let sqlite = config.database_url.expose().starts_with("sqlite:");
    if sqlite && !config.keystore_path().is_file() {
        return Err(fail(
            USAGE,
            format!(
                "no tmtm node in data directory {} (no key store; run `tmtm init` or pass --config)",
                config.data_dir.display()
            ),
        ));
    }
    tmtm_node::serve::open_database(config).await.map_err(|e| {
        fail(
            RUNTIME,
            format!(
                "cannot open the database {}: {e}",
                config.database_url.redacted()
            ),
        )
    })
}

/// Runs `op` on the node's database and closes it.
fn with_db<T>(
    config: &ConfigArgs,
    op: impl AsyncFnOnce(&Database) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let config = load_config(config.overrides())?;
    runtime()?.block_on(async {
        let db = open(&config).await?;
        let result = op(&db).await;
        db.close().await;
        result
    })
}

pub fn run(command: UserCommand) -> anyhow::Result<()> {
    let now = system_clock();
    match command {
        UserCommand::Add(args) => {
            let role = match args.role {
                RoleArg::Admin => Role::Admin,
                RoleArg::User => Role::User,
            };
            // Check the configuration before asking for a password.
            load_config(args.config.overrides())?;
            let input = PasswordInput {
                from_stdin: args.password_stdin,
                allow_env: false,
                confirm: true,
            };
            let password = input.read(&args.username)?;
            let user = with_db(&args.config, async |db| {
                users::add_user(db, &args.username, &password, role, now())
                    .await
                    .map_err(user_error)
            })?;
            println!("Added user {} ({})", user.username, user.role.as_str());
        }
        UserCommand::List(args) => {
            let list = with_db(&args.config, async |db| {
                users::list_users(db).await.map_err(user_error)
            })?;
            print_users(&list, args.json);
        }
        UserCommand::Passwd(args) => {
            load_config(args.config.overrides())?;
            let input = PasswordInput {
                from_stdin: args.password_stdin,
                allow_env: false,
                confirm: true,
            };
            let password = input.read(&args.username)?;
            with_db(&args.config, async |db| {
                users::set_password(db, &args.username, &password, now())
                    .await
                    .map_err(user_error)
            })?;
            println!(
                "Password of {} changed; their sessions were ended",
                args.username
            );
        }
        UserCommand::Disable(args) => {
            with_db(&args.config, async |db| {
                users::set_disabled(db, &args.username, true, now())
                    .await
                    .map_err(user_error)
            })?;
            println!(
                "Disabled {}; their sessions were ended and their tokens revoked",
                args.username
            );
        }
        UserCommand::Enable(args) => {
            with_db(&args.config, async |db| {
                users::set_disabled(db, &args.username, false, now())
                    .await
                    .map_err(user_error)
            })?;
            println!("Enabled {}", args.username);
        }
    }
    Ok(())
}

fn print_users(list: &[users::User], as_json: bool) {
    if as_json {
        let items: Vec<_> = list
            .iter()
            .map(|u| json!({"username": u.username, "role": u.role.as_str(), "disabled": u.disabled}))
            .collect();
        println!("{:#}", serde_json::Value::Array(items));
        return;
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|u| {
            let status = if u.disabled { "disabled" } else { "active" };
            vec![
                u.username.clone(),
                u.role.as_str().to_owned(),
                status.to_owned(),
            ]
        })
        .collect();
    print!("{}", table::render(&["USERNAME", "ROLE", "STATUS"], &rows));
}
