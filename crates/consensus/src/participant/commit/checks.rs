//! The participant's checks of the actor's stage-2 and stage-3 messages of a commit round,
//! stricter than the SDK's (§9 items 1, 13): every signature is bound to the verkey of the
//! participant it is attributed to.

use serde_json::Value;
use tmtm_wire::keys::Did;

use super::ParticipantCommit;
use crate::dialect::Dialect;
use crate::round::{parse_participants, same_set, Env};
use crate::sig::{signer_of, strip_decorators, verify_bound};

impl ParticipantCommit {
    /// `stage-commit`: same participant set, one pre-commit per participant, each signed by
    /// that participant's own verkey over our own state hash.
    pub(super) fn check_commit(&self, env: &Env<'_>, msg: &Value) -> Result<(), String> {
        let parts = parse_participants(msg).ok_or("Non-consistent participants")?;
        if !same_set(&parts, &self.core.participants) {
            return Err("Non-consistent participants".into());
        }
        let pcs = msg
            .get("pre_commits")
            .and_then(Value::as_object)
            .ok_or("pre_commits missing")?;
        if pcs.len() != parts.len() {
            return Err("pre_commits do not match the participants".into());
        }
        for p in &parts {
            let d = pcs
                .get(p.as_str())
                .ok_or_else(|| format!("Pre-commit for participant {p} is missing"))?;
            let vk = env
                .verkey_of(p)
                .ok_or_else(|| format!("Unknown participant {p}"))?;
            let v = verify_bound(d, &vk)
                .map_err(|_| format!("Error verifying pre_commit for participant: {p}"))?;
            if v != Value::String(self.my_hash.clone()) {
                return Err(format!(
                    "Ledger state for participant {p} is not consistent"
                ));
            }
        }
        Ok(())
    }

    /// Final `stage-post-commit`: every commit signature must verify under a participant's
    /// verkey and sign the commit message we accepted; every participant must have signed —
    /// except in the 1.0.25 parallel dialect, whose participants send no post-commit (§6.6.2),
    /// where the actor's signature is required.
    pub(super) fn check_final(&self, env: &Env<'_>, msg: &Value) -> Result<(), String> {
        let commits = msg
            .get("commits")
            .and_then(Value::as_array)
            .filter(|c| !c.is_empty())
            .ok_or("commits are empty")?;
        let expected = self
            .commit_msg
            .as_ref()
            .map(strip_decorators)
            .ok_or("no commit accepted")?;
        let mut signed_by: Vec<Did> = Vec::new();
        for c in commits {
            let signer = signer_of(c).ok_or("commit signature without signer")?;
            let p = self
                .core
                .participants
                .iter()
                .find(|p| env.verkey_of(p).is_some_and(|vk| vk.to_base58() == signer))
                .ok_or_else(|| format!("commit signed by a non-participant key {signer}"))?;
            let vk = env.verkey_of(p).ok_or("unknown participant")?;
            let v = verify_bound(c, &vk)
                .map_err(|e| format!("commit signature of {p} invalid: {e}"))?;
            if strip_decorators(&v) != expected {
                return Err(format!("commit signature of {p} is over another message"));
            }
            signed_by.push(p.clone());
        }
        let lenient = self.parallel && self.core.dialect == Dialect::V1_0_25;
        let required: Vec<Did> = if lenient {
            vec![self.core.actor.clone()]
        } else {
            self.core.participants.clone()
        };
        for p in required {
            if !signed_by.contains(&p) {
                return Err(format!("commit signature of {p} is missing"));
            }
        }
        Ok(())
    }
}
