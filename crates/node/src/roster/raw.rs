//! The serde shape of `network.toml`, exactly as written by operators. Every value keeps its
//! byte span so that semantic errors can name the line. Unknown keys are refused.

use serde::Deserialize;
use toml::Spanned;

use super::ConsensusDialect;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNetwork {
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    #[serde(default)]
    pub consensus: Option<RawConsensus>,
    #[serde(default)]
    pub participants: Vec<RawParticipant>,
    #[serde(default)]
    pub route: Vec<RawHop>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConsensus {
    #[serde(default)]
    pub dialect: Option<ConsensusDialect>,
    #[serde(default)]
    pub members: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawParticipant {
    pub did: Spanned<String>,
    pub verkey: Spanned<String>,
    pub endpoint: Spanned<String>,
    pub label: Spanned<String>,
    pub organization: Spanned<String>,
    #[serde(default)]
    pub logo: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHop {
    pub did: Spanned<String>,
    #[serde(default)]
    pub days: Option<Spanned<i64>>,
}
