//! How `tmtm tx issue` words a successful answer, and the sequence numbers it looks up over
//! REST afterwards (the WebSocket's final answer names the ledger but not the seqNo).

use serde_json::Value;

use super::client::NodeClient;

/// Transactions searched (newest first) for the issued `@id`.
const RECENT: u64 = 100;

fn kind(command: &Value) -> &str {
    command
        .get("@type")
        .and_then(Value::as_str)
        .and_then(|t| t.rsplit('/').next())
        .unwrap_or("")
}

/// The ledger names an issue-transaction command targets (`ledger.name`: a name or a list).
fn ledger_names(command: &Value) -> Vec<String> {
    match command.get("ledger").and_then(|l| l.get("name")) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// One line saying what the node did.
pub fn describe_done(command: &Value, answer: &Value) -> String {
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    match kind(command) {
        "create-ledger" => {
            let ledger = answer.get("ledger").cloned().unwrap_or(Value::Null);
            let n = command
                .get("genesis")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let id = ledger
                .get("id")
                .map(Value::to_string)
                .unwrap_or_else(|| "?".to_owned());
            format!(
                "Done: ledger {} created (id {id} at this node) with {n} genesis transactions \
                 (seq no 1-{n})",
                str_of(&ledger, "name")
            )
        }
        "issue-transaction" => format!(
            "Done: transaction {} committed to ledger {}",
            str_of(command, "@id"),
            ledger_names(command).join(", ")
        ),
        k @ ("gu-11" | "gu-12") => format!(
            "Done: {} record {} accepted and broadcast to all participants",
            k.to_uppercase(),
            str_of(command, "no")
        ),
        _ => format!("Done: {}", str_of(answer, "message")),
    }
}

/// For an issue-transaction, `ledger NAME: seq no N` per ledger (looked up over REST).
pub async fn seq_nos(client: &NodeClient, command: &Value) -> Vec<String> {
    if kind(command) != "issue-transaction" {
        return Vec::new();
    }
    let id = command.get("@id").cloned().unwrap_or(Value::Null);
    let mut lines = Vec::new();
    for name in ledger_names(command) {
        let found = async {
            let ledger = client.ledger_by_name(&name).await?;
            let lid = ledger.get("id").cloned().unwrap_or(Value::Null);
            let page = client
                .get(&format!("/ledgers/{lid}/transactions/?page_size={RECENT}"))
                .await?;
            let seq = page
                .get("results")
                .and_then(Value::as_array)
                .and_then(|r| r.iter().find(|t| t["txn"]["@id"] == id))
                .and_then(|t| t.get("seq_no").and_then(Value::as_u64));
            Ok::<_, anyhow::Error>(seq)
        };
        lines.push(match found.await {
            Ok(Some(seq)) => format!("  ledger {name}: seq no {seq}"),
            Ok(None) => format!("  ledger {name}: seq no not found among the last {RECENT}"),
            Err(e) => format!("  ledger {name}: seq no unknown ({e})"),
        });
    }
    lines
}
