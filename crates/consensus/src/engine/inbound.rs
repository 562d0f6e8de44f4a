//! A received message: route it to its round (by thread id, or for 2.x peers by the `@id` of a
//! message we sent), answer a participant that still asks a finished round we led, refuse a
//! reused thread id, or start a participant round from a proposal of a known peer. Everything
//! else (unknown threads, strangers, non-proposals) is dropped silently.

use serde_json::Value;
use tmtm_wire::keys::{Did, KeyPair};

use super::{busy_report, reused_report, Command, Engine, Role, Round};
use crate::dialect::{consensus_name, thread_id};
use crate::ledger::LedgerAccess;
use crate::participant::ParticipantRound;

impl Engine {
    /// Find the round a message belongs to: its thid, or (2.x) the `@id` of a message we sent.
    fn route(&self, thid: &str) -> Option<String> {
        if self.rounds.contains_key(thid) {
            return Some(thid.to_string());
        }
        self.rounds
            .iter()
            .find(|(_, r)| {
                matches!(r, Round::Actor(_)) && r.core().sent_ids.iter().any(|i| i == thid)
            })
            .map(|(k, _)| k.clone())
    }

    /// The finished round a message belongs to (same rules as [`Self::route`]).
    fn route_finished(&self, thid: &str) -> Option<String> {
        if self.finished.contains_key(thid) {
            return Some(thid.to_string());
        }
        self.finished_sent.get(thid).cloned()
    }

    pub(super) fn received<L: LedgerAccess>(
        &mut self,
        from: Did,
        message: Value,
        now_ms: u64,
        keys: &KeyPair,
        ledgers: &mut L,
        out: &mut Vec<Command>,
    ) {
        let Some(name) = consensus_name(&message).map(str::to_string) else {
            return;
        };
        let Some(thid) = thread_id(&message).map(str::to_string) else {
            return;
        };
        if let Some(key) = self.route(&thid) {
            let Some(mut round) = self.rounds.remove(&key) else {
                return;
            };
            let mut env = Self::env(&self.peers, &self.config, now_ms, keys, ledgers, out);
            let status = match &mut round {
                Round::Actor(r) => r.on_message(&mut env, &from, &name, &message),
                Round::Participant(r) => r.on_message(&mut env, &from, &name, &message),
            };
            self.after(key, round, status, now_ms, out);
            return;
        }
        if let Some(key) = self.route_finished(&thid) {
            self.answer_finished(&key, from, &name, out);
            return;
        }
        let is_proposal = matches!(
            name.as_str(),
            "initialize-request" | "stage-propose" | "stage-propose-parallel"
        );
        if !is_proposal || !self.peers.contains_key(&from) {
            return; // unknown thread or stranger: refuse silently
        }
        if self.used_thids.contains(&thid) {
            // A replayed proposal of an old round (§9.13): refuse, never re-commit.
            let msg = reused_report(&thid).to_message(&format!("reused-{thid}"), &thid);
            out.push(Command::Send {
                to: vec![from],
                message: msg,
            });
            return;
        }
        self.propose(thid, from, &name, &message, now_ms, keys, ledgers, out);
    }

    /// A participant of a finished round we led still asks: re-send the round's last message.
    fn answer_finished(&self, key: &str, from: Did, name: &str, out: &mut Vec<Command>) {
        let Some(f) = self.finished.get(key) else {
            return;
        };
        if f.role == Role::Actor && f.participants.contains(&from) && name != "problem_report" {
            if let Some(reply) = &f.reply {
                out.push(Command::Send {
                    to: vec![from],
                    message: reply.clone(),
                });
            }
        }
    }

    /// A proposal of a new thread from a known peer: start a participant round (which refuses
    /// invalid proposals with a problem report to the actor).
    #[allow(clippy::too_many_arguments)]
    fn propose<L: LedgerAccess>(
        &mut self,
        thid: String,
        from: Did,
        name: &str,
        message: &Value,
        now_ms: u64,
        keys: &KeyPair,
        ledgers: &mut L,
        out: &mut Vec<Command>,
    ) {
        self.used_thids.open(&thid);
        let mut env = Self::env(&self.peers, &self.config, now_ms, keys, ledgers, out);
        let locks = &self.locks;
        let busy = |names: &[String]| busy_report(locks, names);
        let started = ParticipantRound::start(
            &mut env,
            self.me.clone(),
            thid.clone(),
            &from,
            name,
            message,
            &busy,
        );
        match started {
            Ok(round) => {
                let locked = round.ledgers();
                self.begin(thid, Round::Participant(round), locked, out);
            }
            Err((flow, report)) => {
                self.close_thread(&thid, now_ms);
                out.push(Command::Finished {
                    thid,
                    role: Role::Participant,
                    flow,
                    result: Err(report),
                });
            }
        }
    }
}
