//! `tmtm ledger list|show|export`: read this node's container ledgers over the REST API of a
//! running node (`--url`, BasicAuth with `--user`), the way an operator reaches a node that
//! may run in a container or on another machine. Lists are read page by page to the end.
//!
//! `export` writes every transaction with the ledger's size and Merkle root, read so that
//! they belong together: the ledger is read before and after its transactions and the export
//! is retried if a commit happened in between; the transaction count must equal the size.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Value};

use super::args::runtime;
use super::client::{NodeArgs, NodeClient};
use super::exit::{fail, RUNTIME};
use super::table;

/// How often an export is retried while the ledger keeps changing.
const EXPORT_ATTEMPTS: usize = 5;

#[derive(Subcommand)]
pub enum LedgerCommand {
    /// List the node's container ledgers: name, size, Merkle root, last update.
    #[command(
        after_help = "Examples:\n  tmtm ledger list --url http://127.0.0.1:8080 --user anna\n  \
TMTM_PASSWORD=… tmtm ledger list --user anna --json"
    )]
    List(ListArgs),
    /// Show a ledger's transactions: seq no, date, document type, signer, verified.
    #[command(after_help = "Example:\n  tmtm ledger show TKRU4471976 --user anna")]
    Show(ShowArgs),
    /// Export every transaction of a ledger with its Merkle root (JSON lines or JSON).
    #[command(
        after_help = "JSON lines: the first line is the ledger {\"ledger\", \"id\", \
\"size\", \"root\", \"updated_at\"}, then one transaction object per line in seq-no order. \
--format json writes {\"ledger\": …, \"transactions\": […]}.\n\n\
Examples:\n  tmtm ledger export TKRU4471976 --user anna -o TKRU4471976.jsonl\n  \
tmtm ledger export TKRU4471976 --user anna --format json > TKRU4471976.json"
    )]
    Export(ExportArgs),
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub node: NodeArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ShowArgs {
    /// Ledger (container) name.
    pub name: String,
    #[command(flatten)]
    pub node: NodeArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// One JSON document.
    Json,
}

#[derive(Args)]
pub struct ExportArgs {
    /// Ledger (container) name.
    pub name: String,
    #[command(flatten)]
    pub node: NodeArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: Format,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(command: LedgerCommand) -> anyhow::Result<()> {
    match command {
        LedgerCommand::List(args) => list(args),
        LedgerCommand::Show(args) => show(args),
        LedgerCommand::Export(args) => export(args),
    }
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "-".to_owned(),
        Some(other) => other.to_string(),
    }
}

fn list(args: ListArgs) -> anyhow::Result<()> {
    let client = NodeClient::login(&args.node)?;
    let ledgers = runtime()?.block_on(client.all_pages("/ledgers/"))?;
    if args.json {
        println!("{:#}", Value::Array(ledgers));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = ledgers
        .iter()
        .map(|l| {
            vec![
                text(l, "name"),
                text(l, "size"),
                text(l, "root"),
                text(l, "updated_at"),
            ]
        })
        .collect();
    print!(
        "{}",
        table::render(&["NAME", "SIZE", "ROOT", "LAST UPDATE"], &rows)
    );
    println!("{} ledgers", ledgers.len());
    Ok(())
}

/// The ledger and all its transactions in seq-no order.
async fn read_ledger(client: &NodeClient, name: &str) -> anyhow::Result<(Value, Vec<Value>)> {
    let ledger = client.ledger_by_name(name).await?;
    let id = ledger.get("id").cloned().unwrap_or(Value::Null);
    let mut txns = client
        .all_pages(&format!("/ledgers/{id}/transactions/"))
        .await?;
    txns.sort_by_key(|t| t.get("seq_no").and_then(Value::as_u64).unwrap_or(0));
    Ok((ledger, txns))
}

fn show(args: ShowArgs) -> anyhow::Result<()> {
    let client = NodeClient::login(&args.node)?;
    let (ledger, txns) = runtime()?.block_on(read_ledger(&client, &args.name))?;
    println!(
        "Ledger {}: {} transactions, root {}, last update {}",
        text(&ledger, "name"),
        text(&ledger, "size"),
        text(&ledger, "root"),
        text(&ledger, "updated_at")
    );
    let rows: Vec<Vec<String>> = txns
        .iter()
        .map(|t| {
            let verified = if t.get("signature_verified") == Some(&Value::Bool(true)) {
                "yes"
            } else {
                "no"
            };
            vec![
                text(t, "seq_no"),
                text(t, "date"),
                text(&t["txn"], "doc_type"),
                text(t, "signer_label"),
                verified.to_owned(),
            ]
        })
        .collect();
    print!(
        "{}",
        table::render(&["SEQ_NO", "DATE", "DOC_TYPE", "SIGNER", "VERIFIED"], &rows)
    );
    Ok(())
}

/// Reads a consistent snapshot: the ledger's size is the same before and after, and equals
/// the number of transactions read.
async fn snapshot(client: &NodeClient, name: &str) -> anyhow::Result<(Value, Vec<Value>)> {
    for _ in 0..EXPORT_ATTEMPTS {
        let (before, txns) = read_ledger(client, name).await?;
        let after = client.ledger_by_name(name).await?;
        let size = after.get("size").and_then(Value::as_u64);
        if before.get("size") == after.get("size") && size == Some(txns.len() as u64) {
            return Ok((after, txns));
        }
    }
    Err(fail(
        RUNTIME,
        format!("ledger {name:?} kept changing during the export; try again"),
    ))
}

fn export(args: ExportArgs) -> anyhow::Result<()> {
    let client = NodeClient::login(&args.node)?;
    let (ledger, txns) = runtime()?.block_on(snapshot(&client, &args.name))?;
    let head = json!({
        "ledger": ledger.get("name"),
        "id": ledger.get("id"),
        "size": ledger.get("size"),
        "root": ledger.get("root"),
        "updated_at": ledger.get("updated_at"),
        "exported_from": client.base(),
    });
    let mut out = Vec::new();
    match args.format {
        Format::Jsonl => {
            for line in std::iter::once(&head).chain(&txns) {
                out.extend_from_slice(line.to_string().as_bytes());
                out.push(b'\n');
            }
        }
        Format::Json => {
            let doc = json!({"ledger": head, "transactions": txns});
            out.extend_from_slice(format!("{doc:#}\n").as_bytes());
        }
    }
    match &args.output {
        Some(path) => {
            tmtm_node::fsio::write_private_atomic(path, &out, true)
                .map_err(|e| fail(RUNTIME, format!("cannot write {}: {e}", path.display())))?;
            eprintln!(
                "Exported {} transactions of {} (root {}) to {}",
                txns.len(),
                args.name,
                text(&ledger, "root"),
                path.display()
            );
        }
        None => std::io::stdout()
            .write_all(&out)
            .map_err(|e| fail(RUNTIME, format!("cannot write to stdout: {e}")))?,
    }
    Ok(())
}
