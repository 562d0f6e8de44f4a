//! `tmtm tx issue FILE`: sends one command (create-ledger, issue-transaction, gu-11, gu-12 —
//! the JSON exactly as the WebSocket `/transactions` takes it) to a node, shows its progress
//! messages (a bar on a terminal, plain lines otherwise) and prints the outcome.
//!
//! The token is `--token`, or one allocated with `--user` and its password. Exit 0 when the
//! node answers `done`, 3 on a `problem_report`, 1 when the node cannot be reached or closes
//! without a final answer, 2 for an unreadable command file.

use std::io::{IsTerminal as _, Read as _};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use futures_util::{SinkExt as _, StreamExt as _};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use tokio_tungstenite::tungstenite::{self, Message};

use super::args::runtime;
use super::client::{base_url, NodeArgs, NodeClient};
use super::exit::{fail, REFUSED, RUNTIME, USAGE};
use super::tx_result::{describe_done, seq_nos};

/// Largest command file read (the node refuses frames above 1 MiB).
const MAX_COMMAND_BYTES: u64 = 1024 * 1024;
/// Lifetime asked for an allocated token.
const TOKEN_SECS: u64 = 300;
/// Bound on the whole exchange (a round lasts at most `time_to_live` ≤ 600 s).
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(660);

#[derive(Subcommand)]
pub enum TxCommand {
    /// Send one command (create-ledger, issue-transaction, gu-11, gu-12) and follow it.
    #[command(
        after_help = "FILE holds the JSON object exactly as the command WebSocket takes \
it (docs/API.md); `-` reads it from stdin.\n\
Exit codes: 0 done, 1 node unreachable or no final answer, 2 bad file or flags, 3 problem \
report (the node refused the command) or login refused.\n\n\
Examples:\n  tmtm tx issue waybill.json --url http://127.0.0.1:8080 --user anna\n  \
TMTM_PASSWORD=… tmtm tx issue new-container.json --user anna --quiet\n  \
cat gu11.json | tmtm tx issue - --token \"$TOKEN\""
    )]
    Issue(IssueArgs),
}

#[derive(Args)]
pub struct IssueArgs {
    /// The command file (JSON), or `-` for stdin.
    pub file: PathBuf,
    #[command(flatten)]
    pub node: NodeArgs,
    /// A token from POST /maintenance/allocate_token/ (instead of --user).
    #[arg(long, value_name = "TOKEN", conflicts_with = "user")]
    pub token: Option<String>,
    /// No progress output: only the outcome.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

pub fn run(command: TxCommand) -> anyhow::Result<()> {
    match command {
        TxCommand::Issue(args) => issue(args),
    }
}

fn read_command(file: &PathBuf, password_stdin: bool) -> anyhow::Result<Value> {
    let mut text = String::new();
    let what = file.display().to_string();
    if what == "-" {
        if password_stdin {
            return Err(fail(
                USAGE,
                "FILE `-` and --password-stdin both want stdin; use one",
            ));
        }
        std::io::stdin()
            .take(MAX_COMMAND_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| fail(USAGE, format!("cannot read the command from stdin: {e}")))?;
    } else {
        std::fs::File::open(file)
            .and_then(|f| f.take(MAX_COMMAND_BYTES + 1).read_to_string(&mut text))
            .map_err(|e| fail(USAGE, format!("cannot read {what}: {e}")))?;
    }
    if text.len() as u64 > MAX_COMMAND_BYTES {
        return Err(fail(USAGE, format!("{what} is larger than 1 MiB")));
    }
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| fail(USAGE, format!("{what} is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(fail(USAGE, format!("{what} must hold one JSON object")));
    }
    Ok(value)
}

/// How progress is shown.
enum Progress {
    Bar(ProgressBar),
    Lines,
    Quiet,
}

impl Progress {
    fn new(quiet: bool) -> Progress {
        if quiet {
            return Progress::Quiet;
        }
        if !std::io::stderr().is_terminal() {
            return Progress::Lines;
        }
        let bar = ProgressBar::new(100);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos:>3}% {wide_msg}") {
            bar.set_style(style);
        }
        Progress::Bar(bar)
    }

    fn update(&self, percent: Option<u64>, message: &str) {
        match self {
            Progress::Bar(bar) => {
                if let Some(p) = percent {
                    bar.set_position(p.min(100));
                }
                bar.set_message(message.to_owned());
            }
            Progress::Lines => match percent {
                Some(p) => println!("{p:>3}% {message}"),
                None => println!("     {message}"),
            },
            Progress::Quiet => {}
        }
    }

    fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

fn issue(args: IssueArgs) -> anyhow::Result<()> {
    if let Some(t) = &args.token {
        if t.is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(fail(
                USAGE,
                "--token must be a token from /maintenance/allocate_token/ (letters and digits)",
            ));
        }
    }
    let command = read_command(&args.file, args.node.password_stdin)?;
    let base = base_url(&args.node.url)?;
    let client = match &args.token {
        Some(_) => None,
        None => Some(NodeClient::login(&args.node)?),
    };
    runtime()?.block_on(async {
        let token = match (&args.token, &client) {
            (Some(t), _) => t.clone(),
            (None, Some(c)) => c.token(TOKEN_SECS).await?.expose().to_owned(),
            (None, None) => return Err(fail(USAGE, "give --token or --user")),
        };
        let progress = Progress::new(args.quiet);
        let answer = tokio::time::timeout(
            EXCHANGE_TIMEOUT,
            exchange(&base, &token, &command, &progress),
        )
        .await
        .map_err(|_| fail(RUNTIME, "the node gave no final answer in time"));
        progress.finish();
        let answer = answer??;
        finish(&command, &answer, client.as_ref()).await
    })
}

/// Connects, sends the command and returns the node's last message.
async fn exchange(
    base: &str,
    token: &str,
    command: &Value,
    progress: &Progress,
) -> anyhow::Result<Value> {
    let ws_base = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else {
        format!("ws://{}", base.trim_start_matches("http://"))
    };
    let url = format!("{ws_base}/transactions?token={token}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| match e {
            tungstenite::Error::Http(resp) if resp.status().as_u16() == 401 => {
                fail(REFUSED, "the node refused the token or login (HTTP 401)")
            }
            e => fail(RUNTIME, format!("cannot open the WebSocket at {base}: {e}")),
        })?;
    ws.send(Message::Text(command.to_string().into()))
        .await
        .map_err(|e| fail(RUNTIME, format!("cannot send the command: {e}")))?;
    let mut last = Value::Null;
    while let Some(frame) = ws.next().await {
        match frame {
            Ok(Message::Text(t)) => {
                let Ok(msg) = serde_json::from_str::<Value>(t.as_str()) else {
                    continue;
                };
                if msg.get("done").and_then(Value::as_bool) != Some(true) && !is_problem(&msg) {
                    let percent = msg.get("progress").and_then(Value::as_u64);
                    let text = msg.get("message").and_then(Value::as_str).unwrap_or("");
                    progress.update(percent, text);
                }
                last = msg;
            }
            Ok(Message::Close(_)) => break,
            Ok(_) => {}
            Err(e) => {
                if last.is_null() {
                    return Err(fail(RUNTIME, format!("the WebSocket failed: {e}")));
                }
                break;
            }
        }
    }
    Ok(last)
}

fn is_problem(msg: &Value) -> bool {
    msg.get("@type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.ends_with("/problem_report"))
}

/// Prints the outcome; a problem report or a missing final answer is an error.
async fn finish(
    command: &Value,
    answer: &Value,
    client: Option<&NodeClient>,
) -> anyhow::Result<()> {
    if is_problem(answer) {
        let code = answer
            .get("problem-code")
            .and_then(Value::as_str)
            .unwrap_or("problem");
        let explain = answer
            .get("explain")
            .and_then(Value::as_str)
            .unwrap_or("(no explanation)")
            .replace(['\n', '\r'], " ");
        return Err(fail(
            REFUSED,
            format!("the node refused the command ({code}): {explain}"),
        ));
    }
    if answer.get("done").and_then(Value::as_bool) != Some(true) {
        return Err(fail(
            RUNTIME,
            "the node closed the connection without a final answer",
        ));
    }
    println!("{}", describe_done(command, answer));
    if let Some(client) = client {
        for line in seq_nos(client, command).await {
            println!("{line}");
        }
    }
    Ok(())
}
