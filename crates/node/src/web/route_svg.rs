//! The route picture of a container page, computed on the server: the hops of the network
//! file's route in order, each marked `reached` (up to and including the hop of the last
//! accepted signer), `current` (that hop) or `overdue` (the next hop, when its leg's
//! expected days have passed since the last document's date). The template draws it as
//! inline SVG; every label goes through the template's escaping.

use serde::Serialize;
use tmtm_wire::keys::Did;

use crate::roster::Network;

/// Horizontal distance between hops, in SVG units.
const STEP: i64 = 170;
const MARGIN: i64 = 85;

/// One hop of the picture.
#[derive(Clone, Debug, Serialize)]
pub struct Hop {
    pub org: String,
    pub did: String,
    pub cx: i64,
    /// Space-separated classes after `hop`.
    pub class: String,
    /// Expected days of the leg into this hop, if known.
    pub days: Option<u32>,
}

/// A line between two hops.
#[derive(Clone, Debug, Serialize)]
pub struct Segment {
    pub x1: i64,
    pub x2: i64,
    pub reached: bool,
}

/// The whole picture.
#[derive(Clone, Debug, Serialize)]
pub struct RouteSvg {
    pub width: i64,
    pub hops: Vec<Hop>,
    pub segments: Vec<Segment>,
}

/// Builds the picture: `current` is the route position of the last accepted signer;
/// `overdue` whether the next hop is overdue.
pub fn build(network: &Network, current: Option<usize>, overdue: bool) -> RouteSvg {
    let route = network.route();
    let hops: Vec<Hop> = route
        .iter()
        .enumerate()
        .map(|(i, hop)| {
            let org = network
                .participant(&hop.did)
                .map_or_else(|| hop.did.as_str().to_owned(), |p| p.organization.clone());
            let mut class = Vec::new();
            if current.is_some_and(|c| i <= c) {
                class.push("reached");
            }
            if current == Some(i) {
                class.push("current");
            }
            if overdue && current.map(|c| c + 1) == Some(i) {
                class.push("overdue");
            }
            Hop {
                org,
                did: hop.did.as_str().to_owned(),
                cx: MARGIN + STEP * i as i64,
                class: class.join(" "),
                days: hop.days,
            }
        })
        .collect();
    let segments = (1..hops.len())
        .map(|i| Segment {
            x1: hops[i - 1].cx,
            x2: hops[i].cx,
            reached: current.is_some_and(|c| i <= c),
        })
        .collect();
    RouteSvg {
        width: MARGIN * 2 + STEP * (hops.len().max(1) as i64 - 1),
        hops,
        segments,
    }
}

/// The route position of a DID.
pub fn position(network: &Network, did: Option<&Did>) -> Option<usize> {
    did.and_then(|d| network.route_position(d))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::TMTM_DEMO;
    use tmtm_wire::keys::KeyPair;

    fn network() -> Network {
        let mut text = String::new();
        for (i, org) in TMTM_DEMO.iter().enumerate() {
            let k = KeyPair::from_seed(org.seed);
            text.push_str(&format!(
                "[[participants]]\ndid = \"{}\"\nverkey = \"{}\"\nendpoint = \"http://127.0.0.1:{}/agent\"\nlabel = \"L{i}\"\norganization = \"Org {i}\"\n",
                k.did(), k.verkey(), 9000 + i
            ));
        }
        for org in TMTM_DEMO.iter() {
            let k = KeyPair::from_seed(org.seed);
            text.push_str(&format!("[[route]]\ndid = \"{}\"\n", k.did()));
            if let Some(d) = org.days {
                text.push_str(&format!("days = {d}\n"));
            }
        }
        Network::parse(&text, "t").unwrap()
    }

    #[test]
    fn marks_reached_current_and_overdue() {
        let svg = build(&network(), Some(1), true);
        let classes: Vec<_> = svg.hops.iter().map(|h| h.class.as_str()).collect();
        assert_eq!(classes, ["reached", "reached current", "overdue", "", ""]);
        assert!(svg.segments[0].reached && !svg.segments[1].reached);
        let none = build(&network(), None, false);
        assert!(none.hops.iter().all(|h| h.class.is_empty()));
    }
}
