//! Which consensus steps must be on disk (fsynced) before their messages leave, and which
//! may ride the next one that is.
//!
//! # The rule, and why it is safe
//!
//! Every step is one atomic database transaction either way; the question is only whether
//! its commit waits for an fsync (SQLite `synchronous=FULL`, PostgreSQL
//! `synchronous_commit=on`) or not (the relaxed unit: SQLite `NORMAL` in WAL mode, PostgreSQL
//! `synchronous_commit=off`). A relaxed commit survives a crash of the process; only a power
//! failure or an operating-system crash can lose it, and then it loses a *suffix* of the
//! history (the WAL is replayed up to the last fsync; a later fsync covers every frame
//! before it), never a step in the middle.
//!
//! A step **must be durable** when it
//! * writes a ledger (creation, commit, or the deletion of a failed creation) — the data
//!   itself, and an actor's `done` reported to its requester (which always comes with the
//!   actor's commit); or
//! * sends a message that promises to commit: a participant's `stage-post-commit` (its
//!   commit signature; the actor commits once every participant sent one, so a participant
//!   that forgot it would be left behind), a creation round's replies, acks, problem reports,
//!   anything not listed below.
//!
//! A step **may be relaxed** when it writes no ledger and sends only `stage-propose`,
//! `stage-pre-commit` or `stage-commit` (and their `-parallel` forms), or nothing. Losing
//! such a step loses a round that nobody can have committed yet: a participant commits only
//! on the actor's final `stage-post-commit`, which the actor sends only after its own
//! durable commit, and the actor commits only after every participant's durable
//! post-commit. A node that lost its proposal, vote or commit message after a power failure
//! restarts without that round (or at an earlier stage of it); the others' messages about
//! it are refused or ignored, and every node's round ends by its time to live with nothing
//! committed. Three of the five steps on a commit round's critical path are of this kind
//! (`docs/BENCHMARKS.md` measures the effect).
//!
//! The same argument lets a relaxed step's messages leave **while** its unit is written
//! rather than after it (`transport/worker/early.rs`): if the unit then fails, or the
//! process dies before it commits, the messages went out for a step that is lost, which is
//! the case above. (The driver then rebuilds its state from the database, as after any
//! failed unit.)
//!
//! # Steps that wait for the next write
//!
//! A step that writes no ledger and sends, locks, unlocks and finishes nothing — an actor
//! counting the first of several votes or post-commits, a timer that found nothing due —
//! promises nobody anything. It is not written at all ([`may_wait`]): its changes (the vote
//! in the round's row, the de-dup record of the message) stay pending in memory and go into
//! the next step's unit, which follows at the next vote or timer. Losing it in a crash is
//! losing a relaxed step: the round can then not complete and ends by its time to live, with
//! nothing committed, as above. This saves a write on the actor for every reply but the
//! last of each stage.

use tmtm_consensus::dialect::consensus_name;
use tmtm_consensus::Command;

use super::ledgers::Effect;

/// Message names whose loss after a power failure cannot lose a commit (module docs).
const SAFE_TO_LOSE: [&str; 6] = [
    "stage-propose",
    "stage-pre-commit",
    "stage-commit",
    "stage-propose-parallel",
    "stage-pre-commit-parallel",
    "stage-commit-parallel",
];

/// Whether the step with these effects and commands must be fsynced before anything of it
/// is sent or reported.
pub(crate) fn must_sync(effects: &[Effect], commands: &[Command]) -> bool {
    if !effects.is_empty() {
        return true;
    }
    commands.iter().any(|c| match c {
        Command::Send { message, .. } => {
            !consensus_name(message).is_some_and(|name| SAFE_TO_LOSE.contains(&name))
        }
        Command::Finished { result, .. } => result.is_ok(),
        Command::SetTimer { .. }
        | Command::Lock { .. }
        | Command::Unlock { .. }
        | Command::Progress { .. } => false,
    })
}

/// Whether the step changes nothing anyone was told about, so its changes may wait for the
/// next step's unit (module docs, "Steps that wait for the next write").
pub(crate) fn may_wait(effects: &[Effect], commands: &[Command]) -> bool {
    effects.is_empty()
        && commands
            .iter()
            .all(|c| matches!(c, Command::SetTimer { .. } | Command::Progress { .. }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tmtm_consensus::{Flow, Outcome, ProblemReport, Role};
    use tmtm_wire::keys::Did;

    use super::*;

    fn send(name: &str) -> Command {
        Command::Send {
            to: vec![Did::new("BzCbsNYhMrjHiqZDTUASHg")],
            message: json!({
                "@type": format!("https://didcomm.org/simple-consensus/1.0/{name}"),
                "@id": "1",
            }),
        }
    }

    #[test]
    fn proposals_votes_and_commit_requests_may_ride_the_next_sync() {
        for name in SAFE_TO_LOSE {
            assert!(!must_sync(&[], &[send(name)]), "{name}");
        }
        let quiet = [
            Command::SetTimer { at_ms: 5 },
            Command::Progress {
                thid: "t".into(),
                percent: 20,
                message: "sent".into(),
            },
        ];
        assert!(!must_sync(&[], &quiet));
        assert!(!must_sync(&[], &[]));
    }

    #[test]
    fn only_steps_that_send_lock_finish_and_write_nothing_may_wait() {
        let progress = Command::Progress {
            thid: "t".into(),
            percent: 50,
            message: "1 of 2 votes".into(),
        };
        assert!(may_wait(&[], &[]));
        assert!(may_wait(
            &[],
            &[Command::SetTimer { at_ms: 5 }, progress.clone()]
        ));
        assert!(!may_wait(
            &[],
            &[progress.clone(), send("stage-pre-commit")]
        ));
        assert!(!may_wait(&[Effect::Delete("c1".into())], &[]));
        let lock = Command::Lock {
            thid: "t".into(),
            ledgers: vec!["c1".into()],
        };
        let unlock = Command::Unlock {
            thid: "t".into(),
            ledgers: vec!["c1".into()],
        };
        let failed = Command::Finished {
            thid: "t".into(),
            role: Role::Participant,
            flow: Flow::Commit,
            result: Err(ProblemReport::new("request_processing_error", "expired")),
        };
        for c in [lock, unlock, failed] {
            assert!(!may_wait(&[], &[progress.clone(), c.clone()]), "{c:?}");
        }
    }

    #[test]
    fn post_commits_acks_reports_and_unknown_messages_must_sync() {
        for name in [
            "stage-post-commit",
            "stage-post-commit-parallel",
            "problem_report",
            "ack",
        ] {
            assert!(
                must_sync(&[], &[send("stage-propose"), send(name)]),
                "{name}"
            );
        }
        let ack = Command::Send {
            to: vec![],
            message: json!({"@type": "https://didcomm.org/notification/1.0/ack", "@id": "2"}),
        };
        assert!(must_sync(&[], &[ack]));
        let other = Command::Send {
            to: vec![],
            message: json!({"@type": "https://didcomm.org/trust_ping/1.0/ping"}),
        };
        assert!(must_sync(&[], &[other]));
    }

    #[test]
    fn ledger_writes_and_successful_rounds_must_sync_failed_rounds_need_not() {
        assert!(must_sync(&[Effect::Delete("c1".into())], &[]));
        let finished = |result| Command::Finished {
            thid: "t".into(),
            role: Role::Actor,
            flow: Flow::Commit,
            result,
        };
        let ok = Outcome {
            ledgers: vec!["c1".into()],
            states: vec![],
        };
        assert!(must_sync(&[], &[finished(Ok(ok))]));
        let failed = ProblemReport::new("request_processing_error", "Stage-1: refused");
        assert!(!must_sync(&[], &[finished(Err(failed))]));
    }
}
