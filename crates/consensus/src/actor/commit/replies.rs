//! The actor's side of stages 1–3 of a commit round: verify each pre-commit (bound to the
//! participant's verkey, over our hash), send `stage-commit`, verify each post-commit (its
//! commit signature over the commit message we sent), then commit and send the final message.

use serde_json::{json, Value};
use tmtm_wire::keys::{Did, Verkey};

use super::{lerr, ActorCommit, Stage};
use crate::dialect::Dialect;
use crate::problem::{Outcome, ProblemReport, REQUEST_PROCESSING_ERROR, RESPONSE_NOT_ACCEPTED};
use crate::round::{Env, Status};
use crate::sig::{sign_value, strip_decorators, verify_bound};
use crate::staging::{commit_staged, sfx};

impl ActorCommit {
    /// Stage 1: a `stage-pre-commit[-parallel]` from `from` (other types are ignored).
    pub(super) fn on_pre_commit(
        &mut self,
        env: &mut Env<'_>,
        from: &Did,
        verkey: &Verkey,
        name: &str,
        msg: &Value,
    ) -> Status {
        if name != sfx(self.parallel, "stage-pre-commit") || self.pre_commits.contains_key(from) {
            return Status::Continue;
        }
        let explain = if msg.get("hash").and_then(Value::as_str) != Some(self.hash.as_str()) {
            Some("Non-consistent ledger state".to_string())
        } else {
            match msg.get("hash~sig").map(|d| verify_bound(d, verkey)) {
                Some(Ok(v)) if v == Value::String(self.hash.clone()) => None,
                _ => Some(format!(
                    "Stage-1: Error verifying signed ledger state for participant {from}"
                )),
            }
        };
        if let Some(e) = explain {
            let report = ProblemReport::new(
                RESPONSE_NOT_ACCEPTED,
                format!("Stage-1: Error for participant {from}: \"{e}\""),
            );
            return self.fail(env, report, None);
        }
        if let Some(sig) = msg.get("hash~sig") {
            self.pre_commits.insert(from.clone(), sig.clone());
        }
        if self.pre_commits.len() == self.core.participants.len() {
            return self.send_commit(env);
        }
        Status::Continue
    }

    /// Stage 2: a `stage-post-commit[-parallel]` (or, tolerated for 1.0.25 parallel peers, a
    /// repeated pre-commit) from `from`.
    pub(super) fn on_post_commit(
        &mut self,
        env: &mut Env<'_>,
        from: &Did,
        verkey: &Verkey,
        name: &str,
        msg: &Value,
    ) -> Status {
        if self.post_commits.contains_key(from) {
            return Status::Continue;
        }
        let echo = self.parallel
            && self.core.dialect == Dialect::V1_0_25
            && env.config.tolerate_v1_precommit_echo
            && name == "stage-pre-commit-parallel";
        if echo {
            let ok = matches!(msg.get("hash~sig").map(|d| verify_bound(d, verkey)),
                Some(Ok(v)) if v == Value::String(self.hash.clone()));
            if ok {
                self.post_commits.insert(from.clone(), Vec::new());
            }
        } else if name == sfx(self.parallel, "stage-post-commit") {
            let commits = msg
                .get("commits")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let expected = self.commit_msg.as_ref().map(strip_decorators);
            let ok = commits.iter().any(|c| {
                matches!(verify_bound(c, verkey), Ok(v) if Some(strip_decorators(&v)) == expected)
            });
            if !ok {
                let report = ProblemReport::new(
                    RESPONSE_NOT_ACCEPTED,
                    format!("Stage-2: Error for participant {from}: \"commit signature is missing or invalid\""),
                );
                return self.fail(env, report, None);
            }
            self.post_commits.insert(from.clone(), commits);
        } else {
            return Status::Continue;
        }
        if self.post_commits.len() + 1 == self.core.participants.len() {
            return self.finish(env);
        }
        Status::Continue
    }

    fn send_commit(&mut self, env: &mut Env<'_>) -> Status {
        let mut pcs = serde_json::Map::new();
        for p in &self.core.participants {
            if let Some(sig) = self.pre_commits.get(p) {
                pcs.insert(p.to_string(), sig.clone());
            }
        }
        let participants: Vec<Value> = self
            .core
            .participants
            .iter()
            .map(|d| json!(d.as_str()))
            .collect();
        let msg = self.core.message(
            &sfx(self.parallel, "stage-commit"),
            vec![
                ("participants", Value::Array(participants)),
                ("pre_commits", Value::Object(pcs)),
            ],
        );
        let mine = match sign_value(env.keys, &strip_decorators(&msg), env.ts()) {
            Ok(s) => s,
            Err(e) => return self.fail(env, lerr(e), None),
        };
        env.send(self.core.others(), msg.clone());
        self.my_commit = Some(mine);
        self.commit_msg = Some(msg.clone());
        self.current = msg;
        self.stage = Stage::PostCommit;
        env.progress(
            &self.core.thid,
            50,
            "Stage-2: pre-commits verified, commit sent",
        );
        Status::Continue
    }

    /// Every post-commit is in: commit locally (before sending, §9 item 8), then send the final
    /// `stage-post-commit` with all commit signatures.
    fn finish(&mut self, env: &mut Env<'_>) -> Status {
        if env.now_ms > self.core.decide_by_ms {
            let report = ProblemReport::new(
                REQUEST_PROCESSING_ERROR,
                "Stage-3: too late to commit within the time to live",
            );
            return self.fail(env, report, None);
        }
        let mut commits: Vec<Value> = self.my_commit.iter().cloned().collect();
        for p in &self.core.participants {
            if let Some(list) = self.post_commits.get(p) {
                commits.extend(list.iter().cloned());
            }
        }
        let states = match commit_staged(env, &self.appended) {
            Ok(s) => s,
            Err(e) => return self.fail(env, lerr(e), None),
        };
        let final_msg = self.core.message(
            &sfx(self.parallel, "stage-post-commit"),
            vec![
                ("participants", json!([])),
                ("commits", Value::Array(commits)),
            ],
        );
        env.send(self.core.others(), final_msg.clone());
        self.final_reply = Some(final_msg);
        env.progress(&self.core.thid, 100, "Stage-3: committed");
        Status::Done(Ok(Outcome {
            ledgers: self.ledgers.clone(),
            states,
        }))
    }
}
