//! The route computations of `original-tmtm.md` §4, driven by the network file's route, as
//! pure functions of (network, this node's DID, accepted signer, document dates, today).
//! The signer passed in is one whose signature was *accepted* (see `view.rs`): a
//! self-declared `signer` field never moves a container.
//!
//! Differences from the original, on purpose (its §9 lists them as bugs):
//! * **No wrap-around.** The original looked up `TMTM_PATH[my_index - 1]`, so the first hop
//!   compared against the *last* one. Here the first hop has no previous hop: nothing
//!   approaches it and `approaching_days` is null there.
//! * **0 is a value, not "absent".** A leg of 0 days gives `approaching_days`, and 0 days in
//!   way is 0 (the original tested truthiness and dropped both).
//! * **`approaching_days` is per leg**: the leg's expected days minus the days since the
//!   previous hop's document, not minus the whole trip since the first document.
//! * **One approaching rule** for the "approaching" tab and the inbox counter (the original
//!   had two): the previous hop, plus the compatibility rule that the third hop (Port of
//!   Baku in the TMTM route) also sees containers that left the first hop (a customer
//!   request of the original).
//! * Dates are compared as UTC calendar days; a document date in the future counts as 0
//!   days, never as a negative number that could be confused with the −1 "arrived" value.

use serde::Serialize;
use tmtm_wire::keys::Did;
use utoipa::ToSchema;

use super::clock::{days_from_civil, is_valid_date};
use crate::roster::Network;

/// Where a transaction puts its container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Signed by the first hop of the route ("Принято").
    Started,
    /// Signed by any other participant.
    InWay,
    /// Signed by the last hop of the route ("Прибыло").
    Finished,
}

/// The status a transaction signed by `signer` gives its container; `None` without an
/// accepted signer or without a route.
pub fn status_of(network: &Network, signer: Option<&Did>) -> Option<Status> {
    let signer = signer?;
    let route = network.route();
    let last = route.len().checked_sub(1)?;
    match network.route_position(signer) {
        Some(0) => Some(Status::Started),
        Some(i) if i == last => Some(Status::Finished),
        _ => Some(Status::InWay),
    }
}

/// Whether a container whose last accepted signer is `last_signer` is approaching this
/// node (`own`): signed last by the previous hop, or — for the third hop — by the first.
pub fn approaching(network: &Network, own: &Did, last_signer: Option<&Did>) -> bool {
    let (Some(signer), Some(mine)) = (last_signer, network.route_position(own)) else {
        return false;
    };
    let Some(theirs) = network.route_position(signer) else {
        return false;
    };
    mine > 0 && (theirs + 1 == mine || (mine == 2 && theirs == 0))
}

/// Parses a document date `D.M.YY`, `D.M.YYYY` (digits only; two-digit years are 20YY, as
/// in the original) or ISO `YYYY-MM-DD`; returns its UTC day number.
pub fn parse_doc_date(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    let (year, month, day) = if let [d, m, y] = text.split('.').collect::<Vec<_>>()[..] {
        if !(digits(d) && digits(m) && digits(y)) || !(y.len() == 2 || y.len() == 4) {
            return None;
        }
        let y: i64 = y.parse().ok()?;
        (
            if y < 100 { y + 2000 } else { y },
            m.parse().ok()?,
            d.parse().ok()?,
        )
    } else if let [y, m, d] = text.split('-').collect::<Vec<_>>()[..] {
        if !(digits(y) && y.len() == 4 && digits(m) && digits(d)) {
            return None;
        }
        (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    } else {
        return None;
    };
    is_valid_date(year, month, day).then(|| days_from_civil(year, month, day))
}

/// Whole days between the first document's date and `today` (UTC day number); −1 when the
/// container has arrived (last status `finished`); `None` when a date is missing or does
/// not parse (the last date is only a validity check, as in the original).
pub fn days_in_way(
    first_date: Option<&str>,
    last_date: Option<&str>,
    last_status: Option<Status>,
    today: i64,
) -> Option<i64> {
    if last_status == Some(Status::Finished) {
        return Some(-1);
    }
    let first = parse_doc_date(first_date?)?;
    parse_doc_date(last_date?)?;
    Some((today - first).max(0))
}

/// Days until the container is due at this node: the expected days of this node's leg
/// minus the days since the previous hop's document (negative: overdue). `None` unless the
/// last accepted signer is exactly the previous hop and this leg has a duration.
pub fn approaching_days(
    network: &Network,
    own: &Did,
    last_signer: Option<&Did>,
    last_date: Option<&str>,
    today: i64,
) -> Option<i64> {
    let mine = network.route_position(own)?;
    let previous = network.route().get(mine.checked_sub(1)?)?;
    if Some(&previous.did) != last_signer {
        return None;
    }
    let leg = i64::from(network.route().get(mine)?.days?);
    let since = (today - parse_doc_date(last_date?)?).max(0);
    Some(leg - since)
}
