//! One command session: read the request, validate it, run it (streaming the round's
//! progress), answer `progress {done: true}` or `problem_report`, close. Never panics on
//! client input; every path ends with a close frame.

use std::time::{Duration, Instant};

use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket};
use serde_json::{json, Map, Value};
use tmtm_consensus::ProblemReport;
use tmtm_microledger::Transaction;

use super::sign::sign_transaction;
use super::validate::{self, id_of, Problem, Request, Target, PREFIX};
use super::Commands;
use crate::api::ApiState;
use crate::driver::{RoundUpdate, RoundWatch, PARKED_TOO_LONG};

/// How long the client has to send its request.
const REQUEST_WAIT: Duration = Duration::from_secs(60);
/// How often a round refused because a participant still holds the ledger lock is retried.
const LOCK_RETRIES: u32 = 20;
const LOCK_PAUSE: Duration = Duration::from_millis(250);

/// Runs one session to its end.
pub async fn run(mut socket: WebSocket, state: ApiState) {
    let (id, answer) = match read_request(&mut socket).await {
        None => return,
        Some(Err(problem)) => (String::new(), Err(problem)),
        Some(Ok(msg)) => {
            tracing::debug!("command received");
            let id = id_of(&msg);
            let answer = match validate::parse(&msg) {
                Err(p) => Err(p),
                Ok(request) => execute(&mut socket, &state, &id, request).await,
            };
            (id, answer)
        }
    };
    let last = match answer {
        Ok(done) => done,
        Err(problem) => json!({
            "@type": format!("{PREFIX}problem_report"),
            "@id": id,
            "problem-code": problem.code,
            "explain": problem.explain,
        }),
    };
    let _ = socket.send(Message::Text(last.to_string().into())).await;
    tracing::debug!("command answered");
    let close = CloseFrame {
        code: close_code::NORMAL,
        reason: "".into(),
    };
    let _ = socket.send(Message::Close(Some(close))).await;
}

async fn read_request(socket: &mut WebSocket) -> Option<Result<Map<String, Value>, Problem>> {
    loop {
        let frame = tokio::time::timeout(REQUEST_WAIT, socket.recv()).await;
        let bytes = match frame {
            Err(_) => return Some(Err(Problem::request("No request received in time"))),
            Ok(None) | Ok(Some(Ok(Message::Close(_)))) => return None,
            Ok(Some(Err(e))) => return Some(Err(Problem::request(format!("Bad frame: {e}")))),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(Message::Text(t)))) => t.as_str().as_bytes().to_vec(),
            Ok(Some(Ok(Message::Binary(b)))) => b.to_vec(),
        };
        let parsed = std::str::from_utf8(&bytes)
            .map_err(|_| Problem::request("Request must be UTF-8 JSON"))
            .and_then(|text| {
                serde_json::from_str::<Value>(text)
                    .map_err(|e| Problem::request(format!("Invalid JSON: {e}")))
            })
            .and_then(|v| match v {
                Value::Object(m) => Ok(m),
                _ => Err(Problem::request("Request must be a JSON object")),
            });
        return Some(parsed);
    }
}

fn progress(id: &str, body: Value) -> Value {
    let mut out = Map::new();
    out.insert("@type".into(), Value::String(format!("{PREFIX}progress")));
    out.insert("@id".into(), Value::String(id.to_owned()));
    if let Value::Object(extra) = body {
        out.extend(extra);
    }
    Value::Object(out)
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn sign_all(c: &Commands, txns: Vec<Map<String, Value>>) -> Result<Vec<Transaction>, Problem> {
    let ts = now_secs();
    txns.into_iter()
        .map(|t| sign_transaction(&c.keys, t, ts))
        .collect()
}

async fn execute(
    socket: &mut WebSocket,
    state: &ApiState,
    id: &str,
    request: Request,
) -> Result<Value, Problem> {
    let commands = state
        .commands
        .clone()
        .ok_or_else(|| Problem::processing("The consensus driver is not available"))?;
    match request {
        Request::CreateLedger {
            name,
            genesis,
            ttl_secs,
            ..
        } => {
            let genesis = sign_all(&commands, genesis)?;
            let ttl = Some(Duration::from_secs(ttl_secs));
            let (driver, ledgers) = (commands.driver.clone(), vec![name.clone()]);
            let wrap = |e: String| {
                Problem::processing(format!(
                    "Creation of new ledger was terminated with error: \n\"{e}\""
                ))
            };
            follow(socket, state, id, &ledgers, || {
                let (driver, name, genesis) = (driver.clone(), name.clone(), genesis.clone());
                async move { driver.create_ledger(&name, genesis, ttl).await }
            })
            .await
            .map_err(wrap)?;
            let local_id = state
                .db
                .ledger_by_name(&name)
                .await
                .ok()
                .flatten()
                .map(|l| l.id);
            Ok(progress(
                id,
                json!({"done": true, "ledger": {"name": name, "id": local_id}}),
            ))
        }
        Request::Issue {
            txn,
            target,
            ttl_secs,
            ..
        } => {
            let shown = txn
                .get("ledger")
                .and_then(|l| l.get("name"))
                .cloned()
                .unwrap_or(Value::Null);
            let txns = sign_all(&commands, vec![txn])?;
            let ttl = Some(Duration::from_secs(ttl_secs));
            let driver = commands.driver.clone();
            // A commit to one ledger locked at this node waits in the driver (which merges
            // the requests waiting for one ledger into one round), so only the parallel flow
            // waits here for the node's locks to clear.
            let ledgers = match &target {
                Target::One(_) => Vec::new(),
                Target::Many(ns) => ns.clone(),
            };
            let wrap = |e: String| {
                Problem::processing(format!(
                    "Accepting of new transactions was terminated with error: \n\"{e}\""
                ))
            };
            follow(socket, state, id, &ledgers, || {
                let (driver, target, txns) = (driver.clone(), target.clone(), txns.clone());
                async move {
                    match target {
                        Target::One(n) => driver.commit(&n, txns, ttl).await,
                        Target::Many(ns) => driver.commit_parallel(&ns, txns, ttl).await,
                    }
                }
            })
            .await
            .map_err(wrap)?;
            Ok(progress(
                id,
                json!({"done": true, "ledger": {"name": shown}}),
            ))
        }
        Request::Gu {
            id: gu_id,
            kind,
            payload,
        } => {
            let body = super::gu::store_and_send(state, &commands, &gu_id, kind, payload).await?;
            Ok(progress(id, body))
        }
    }
}

/// Starts a round (again while a participant still holds a lock on the ledgers), streams
/// its progress to the socket, and returns its result's explain text on failure.
///
/// Before each start, `ledgers` locked at this node are waited for (the driver would refuse
/// the start). Single-ledger commits pass none: the driver parks a commit to a ledger
/// locked at this node until it is free, so no 250 ms polling step is added to their
/// latency. The retry of `transient` refusals stays for every flow: a participant may
/// still hold a lock from a round another node led.
async fn follow<F, Fut>(
    socket: &mut WebSocket,
    state: &ApiState,
    id: &str,
    ledgers: &[String],
    start: F,
) -> Result<(), String>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<RoundWatch, crate::driver::DriverError>>,
{
    let Some(commands) = state.commands.as_ref() else {
        return Err("The consensus driver is not available".into());
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        for _ in 0..LOCK_RETRIES {
            let locked = commands.driver.locked_ledgers();
            if !ledgers.iter().any(|l| locked.contains(l)) {
                break;
            }
            tokio::time::sleep(LOCK_PAUSE).await;
        }
        let started = Instant::now();
        let mut watch = start().await.map_err(|e| e.to_string())?;
        let result = stream(socket, id, &mut watch).await;
        state.metrics.observe_round(started.elapsed().as_secs_f64());
        match result {
            Ok(()) => return Ok(()),
            Err(p) if attempt < LOCK_RETRIES && transient(&p.explain) => {
                tokio::time::sleep(LOCK_PAUSE).await;
            }
            Err(p) => return Err(p.explain),
        }
    }
}

/// Whether a refused round is worth starting again after a pause: a participant still holds a
/// lock on the ledger, or has not yet received the final message of the previous round on it
/// (led by another node, so nothing orders that message before our proposal) and therefore
/// reports the ledger's state as "non-consistent". Either clears within moments; a participant
/// that really lags keeps refusing and the request fails after [`LOCK_RETRIES`] attempts.
/// A commit that already waited its whole time to live in the driver for a ledger locked at
/// this node ([`PARKED_TOO_LONG`]) is not retried.
fn transient(explain: &str) -> bool {
    if explain.contains(PARKED_TOO_LONG) {
        return false;
    }
    explain.contains("locked") || explain.contains("Non-consistent ledger state")
}

async fn stream(
    socket: &mut WebSocket,
    id: &str,
    watch: &mut RoundWatch,
) -> Result<(), ProblemReport> {
    while let Some(update) = watch.updates.recv().await {
        match update {
            RoundUpdate::Progress { percent, message } => {
                let msg = progress(id, json!({"progress": percent, "message": message}));
                // A client that went away does not stop the round.
                let _ = socket.send(Message::Text(msg.to_string().into())).await;
            }
            RoundUpdate::Finished(result) => return result.map(|_| ()),
        }
    }
    Err(ProblemReport::new(
        tmtm_consensus::problem::REQUEST_PROCESSING_ERROR,
        "the node stopped before the round ended",
    ))
}

#[cfg(test)]
mod tests {
    use super::{transient, PARKED_TOO_LONG};

    #[test]
    fn lock_conflicts_and_a_lagging_participant_are_retried_other_refusals_are_not() {
        assert!(transient(
            "Preparing: Ledgers [ledgers/L] are locked by other state-machine"
        ));
        assert!(transient(
            "Stage-1: Problem report from participant X \"Stage-1: Non-consistent ledger state of L\""
        ));
        assert!(!transient("Stage-1: Non-consistent participants"));
        assert!(!transient("Ledger with name L already exists"));
        assert!(!transient(&format!(
            "Preparing: ledger L {PARKED_TOO_LONG} by other rounds for the request's time to live"
        )));
    }
}
