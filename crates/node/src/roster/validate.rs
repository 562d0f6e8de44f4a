//! The rules of `network.toml`: turns the raw serde shape into a [`Network`] or the first
//! error found, located by line where the TOML parser recorded a span.

use std::collections::HashSet;

use tmtm_wire::keys::{Did, Verkey};
use toml::Spanned;

use super::raw::{RawHop, RawNetwork, RawParticipant};
use super::{
    Network, Participant, RosterError, RosterErrorKind, RouteHop, MAX_LEG_DAYS, MAX_PARTICIPANTS,
};
use crate::endpoint::HttpUrl;

/// Longest label / organisation name.
const MAX_TEXT_LEN: usize = 200;

struct Ctx<'a> {
    text: &'a str,
    source_name: &'a str,
}

impl Ctx<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    fn at<T>(&self, spanned: &Spanned<T>, kind: RosterErrorKind) -> RosterError {
        RosterError {
            source_name: self.source_name.to_owned(),
            line: Some(self.line_of(spanned.span().start)),
            kind,
        }
    }

    fn nowhere(&self, kind: RosterErrorKind) -> RosterError {
        RosterError {
            source_name: self.source_name.to_owned(),
            line: None,
            kind,
        }
    }
}

pub(super) fn parse(text: &str, source_name: &str) -> Result<Network, RosterError> {
    let ctx = Ctx { text, source_name };
    let raw: RawNetwork = toml::from_str(text).map_err(|e| RosterError {
        source_name: source_name.to_owned(),
        line: e.span().map(|s| ctx.line_of(s.start)),
        kind: RosterErrorKind::Syntax(e.message().trim().to_owned()),
    })?;
    if raw.participants.is_empty() {
        return Err(ctx.nowhere(RosterErrorKind::NoParticipants));
    }
    if raw.participants.len() > MAX_PARTICIPANTS {
        return Err(ctx.nowhere(RosterErrorKind::TooManyParticipants {
            count: raw.participants.len(),
            max: MAX_PARTICIPANTS,
        }));
    }
    let mut participants = Vec::with_capacity(raw.participants.len());
    let mut seen = HashSet::new();
    for rp in &raw.participants {
        let p = participant(&ctx, rp)?;
        if !seen.insert(p.did.clone()) {
            return Err(ctx.at(
                &rp.did,
                RosterErrorKind::DuplicateDid {
                    did: p.did.as_str().to_owned(),
                },
            ));
        }
        participants.push(p);
    }
    let (dialect, members) = match raw.consensus {
        Some(c) => (c.dialect.unwrap_or_default(), c.members),
        None => (Default::default(), None),
    };
    let members = match members {
        None => participants.iter().map(|p| p.did.clone()).collect(),
        Some(list) => consensus_members(&ctx, &list, &seen)?,
    };
    let route = route(&ctx, &raw.route, &seen)?;
    let name = match raw.name {
        Some(n) => Some(text_field(&ctx, &n, "the network", "name")?),
        None => None,
    };
    Ok(Network {
        name,
        participants,
        members,
        route,
        dialect,
    })
}

fn participant(ctx: &Ctx<'_>, rp: &RawParticipant) -> Result<Participant, RosterError> {
    let did_text = rp.did.get_ref().trim().to_owned();
    if did_text.is_empty() {
        return Err(ctx.at(
            &rp.did,
            RosterErrorKind::BadField {
                did: "(empty)".to_owned(),
                field: "did",
                reason: "is empty".to_owned(),
            },
        ));
    }
    let verkey = Verkey::from_base58(rp.verkey.get_ref()).map_err(|e| {
        ctx.at(
            &rp.verkey,
            RosterErrorKind::BadVerkey {
                did: did_text.clone(),
                verkey: rp.verkey.get_ref().clone(),
                reason: e.to_string(),
            },
        )
    })?;
    let expected = Did::from_verkey(&verkey);
    if expected.as_str() != rp.did.get_ref() {
        return Err(ctx.at(
            &rp.did,
            RosterErrorKind::DidMismatch {
                did: rp.did.get_ref().clone(),
                expected: expected.as_str().to_owned(),
            },
        ));
    }
    let endpoint = HttpUrl::parse(rp.endpoint.get_ref()).map_err(|e| {
        ctx.at(
            &rp.endpoint,
            RosterErrorKind::BadEndpoint {
                did: did_text.clone(),
                endpoint: rp.endpoint.get_ref().clone(),
                reason: e.to_string(),
            },
        )
    })?;
    let label = text_field(ctx, &rp.label, &did_text, "label")?;
    let organization = text_field(ctx, &rp.organization, &did_text, "organization")?;
    let logo = match &rp.logo {
        Some(l) => Some(logo(ctx, l, &did_text)?),
        None => None,
    };
    Ok(Participant {
        did: expected,
        verkey,
        endpoint,
        label,
        organization,
        logo,
    })
}

fn text_field(
    ctx: &Ctx<'_>,
    value: &Spanned<String>,
    did: &str,
    field: &'static str,
) -> Result<String, RosterError> {
    let v = value.get_ref().trim();
    let bad = |reason: &str| {
        ctx.at(
            value,
            RosterErrorKind::BadField {
                did: did.to_owned(),
                field,
                reason: reason.to_owned(),
            },
        )
    };
    if v.is_empty() {
        return Err(bad("is empty"));
    }
    if v.chars().count() > MAX_TEXT_LEN {
        return Err(bad(&format!("is longer than {MAX_TEXT_LEN} characters")));
    }
    if v.chars().any(char::is_control) {
        return Err(bad("contains control characters"));
    }
    Ok(v.to_owned())
}

/// A logo is a plain file name (letters, digits, `.`, `_`, `-`; not starting with `.`) or an
/// http(s) URL. Nothing else can end up in a page's `src`.
fn logo(ctx: &Ctx<'_>, value: &Spanned<String>, did: &str) -> Result<String, RosterError> {
    let v = value.get_ref().trim();
    let bad = |reason: String| {
        ctx.at(
            value,
            RosterErrorKind::BadField {
                did: did.to_owned(),
                field: "logo",
                reason,
            },
        )
    };
    let lower = v.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        HttpUrl::parse(v).map_err(|e| bad(e.to_string()))?;
        return Ok(v.to_owned());
    }
    let plain = !v.is_empty()
        && v.len() <= MAX_TEXT_LEN
        && !v.starts_with('.')
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if !plain {
        return Err(bad(format!(
            "{v:?} must be a file name (letters, digits, '.', '_', '-') or an http(s) URL"
        )));
    }
    Ok(v.to_owned())
}

fn consensus_members(
    ctx: &Ctx<'_>,
    list: &Spanned<Vec<Spanned<String>>>,
    known: &HashSet<Did>,
) -> Result<Vec<Did>, RosterError> {
    if list.get_ref().is_empty() {
        return Err(ctx.at(list, RosterErrorKind::EmptyMembers));
    }
    let mut out: Vec<Did> = Vec::with_capacity(list.get_ref().len());
    for m in list.get_ref() {
        let did = Did::new(m.get_ref().trim());
        if !known.contains(&did) {
            return Err(ctx.at(
                m,
                RosterErrorKind::UnknownMember {
                    did: m.get_ref().clone(),
                },
            ));
        }
        if out.contains(&did) {
            return Err(ctx.at(
                m,
                RosterErrorKind::DuplicateMember {
                    did: m.get_ref().clone(),
                },
            ));
        }
        out.push(did);
    }
    Ok(out)
}

fn route(
    ctx: &Ctx<'_>,
    hops: &[RawHop],
    known: &HashSet<Did>,
) -> Result<Vec<RouteHop>, RosterError> {
    let mut out: Vec<RouteHop> = Vec::with_capacity(hops.len());
    for (i, h) in hops.iter().enumerate() {
        let did_text = h.did.get_ref().trim().to_owned();
        let did = Did::new(did_text.clone());
        if !known.contains(&did) {
            return Err(ctx.at(&h.did, RosterErrorKind::UnknownHop { did: did_text }));
        }
        if out.iter().any(|o| o.did == did) {
            return Err(ctx.at(&h.did, RosterErrorKind::DuplicateHop { did: did_text }));
        }
        let days = match (&h.days, i) {
            (None, 0) => None,
            (Some(d), 0) if *d.get_ref() == 0 => None,
            (Some(d), 0) => {
                return Err(ctx.at(
                    d,
                    RosterErrorKind::FirstHopDays {
                        did: did_text,
                        days: *d.get_ref(),
                    },
                ))
            }
            (None, _) => return Err(ctx.at(&h.did, RosterErrorKind::MissingDays { did: did_text })),
            (Some(d), _) => {
                let v = *d.get_ref();
                if !(0..=MAX_LEG_DAYS).contains(&v) {
                    return Err(ctx.at(
                        d,
                        RosterErrorKind::BadDays {
                            did: did_text,
                            days: v,
                            max: MAX_LEG_DAYS,
                        },
                    ));
                }
                // In range 0..=365, so the conversion cannot fail.
                Some(u32::try_from(v).unwrap_or(u32::MAX))
            }
        };
        out.push(RouteHop { did, days });
    }
    Ok(out)
}
