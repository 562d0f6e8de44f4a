//! One test per rule of `network.toml`; each asserts that the message names the problem and,
//! where the parser gives one, the line.

use tmtm_wire::keys::{Did, KeyPair};

use super::*;

fn keys(n: u8) -> KeyPair {
    let mut seed = *b"roster-test-seed-000000000000000";
    seed[31] = b'0' + n;
    KeyPair::from_seed(&seed)
}

fn participant(n: u8) -> String {
    let k = keys(n);
    format!(
        "[[participants]]\ndid = \"{}\"\nverkey = \"{}\"\nendpoint = \"http://127.0.0.1:91{n:02}/agent\"\n\
         label = \"L{n}\"\norganization = \"Org {n}\"\n\n",
        k.did(),
        k.verkey()
    )
}

fn hop(n: u8, days: Option<i64>) -> String {
    match days {
        Some(d) => format!("[[route]]\ndid = \"{}\"\ndays = {d}\n\n", keys(n).did()),
        None => format!("[[route]]\ndid = \"{}\"\n\n", keys(n).did()),
    }
}

fn valid() -> String {
    let mut s = String::new();
    for n in 1..=3 {
        s.push_str(&participant(n));
    }
    s.push_str(&hop(1, None));
    s.push_str(&hop(2, Some(5)));
    s.push_str(&hop(3, Some(0)));
    s
}

fn err(text: &str) -> RosterError {
    Network::parse(text, "net.toml").expect_err("should be rejected")
}

fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).expect("needle in text");
    text[..at].matches('\n').count() + 1
}

#[test]
fn valid_network_loads_with_defaults() {
    let net = Network::parse(&valid(), "net.toml").unwrap();
    assert_eq!(net.participants().len(), 3);
    assert_eq!(
        net.consensus_members().len(),
        3,
        "default membership is everyone"
    );
    assert_eq!(net.dialect(), ConsensusDialect::V1_0_25);
    assert_eq!(net.route()[0].days, None);
    assert_eq!(net.route()[1].days, Some(5));
    assert_eq!(net.route()[2].days, Some(0));
    assert_eq!(net.route_position(&keys(3).did()), Some(2));
    assert!(net.participant_by_verkey(&keys(2).verkey()).is_some());
    assert!(net.require_participant(&keys(1).did(), "net.toml").is_ok());
    assert!(net.name().is_none());
}

#[test]
fn explicit_membership_and_dialect() {
    let text = format!(
        "name = \"n\"\n[consensus]\ndialect = \"2.x\"\nmembers = [\"{}\", \"{}\"]\n\n{}",
        keys(1).did(),
        keys(3).did(),
        valid()
    );
    let net = Network::parse(&text, "net.toml").unwrap();
    assert_eq!(net.dialect(), ConsensusDialect::V2);
    assert_eq!(net.consensus_members(), &[keys(1).did(), keys(3).did()]);
    assert!(!net.is_consensus_member(&keys(2).did()));
    assert_eq!(net.name(), Some("n"));
}

#[test]
fn empty_participant_list() {
    let e = err("name = \"x\"\n");
    assert!(matches!(e.kind, RosterErrorKind::NoParticipants));
    assert!(e.to_string().contains("no participants"), "{e}");
}

#[test]
fn duplicate_did() {
    let text = format!("{}{}", valid(), participant(2));
    let e = err(&text);
    assert!(
        matches!(e.kind, RosterErrorKind::DuplicateDid { .. }),
        "{e}"
    );
    let msg = e.to_string();
    assert!(msg.contains("duplicate participant DID"), "{msg}");
    assert!(msg.contains(keys(2).did().as_str()), "{msg}");
    let last = text.rfind(&format!("did = \"{}\"", keys(2).did())).unwrap();
    let want = text[..last].matches('\n').count() + 1;
    assert!(msg.starts_with(&format!("net.toml:{want}:")), "{msg}");
}

#[test]
fn verkey_not_base58() {
    let k = keys(1).verkey().to_base58();
    let text = valid().replacen(&k, "0OIl-not-base58", 1);
    let e = err(&text);
    assert!(matches!(e.kind, RosterErrorKind::BadVerkey { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("not a base58 Ed25519 public key"), "{msg}");
    assert!(msg.contains("0OIl-not-base58"), "{msg}");
    assert!(msg.starts_with(&format!("net.toml:{}:", line_of(&text, "verkey = \"0OIl"))));
}

#[test]
fn verkey_of_wrong_length() {
    let k = keys(1).verkey().to_base58();
    let text = valid().replacen(&k, "3yZe7d", 1);
    let e = err(&text);
    assert!(matches!(e.kind, RosterErrorKind::BadVerkey { .. }), "{e}");
    assert!(e.to_string().contains("bytes"), "{e}");
}

#[test]
fn did_does_not_match_verkey() {
    let text = valid().replacen(keys(1).did().as_str(), keys(2).did().as_str(), 1);
    let e = err(&text);
    let RosterErrorKind::DidMismatch { expected, .. } = &e.kind else {
        panic!("{e}")
    };
    assert_eq!(expected, keys(1).did().as_str());
    assert!(e.to_string().contains("does not match its verkey"), "{e}");
    assert_eq!(e.line, Some(2), "the did line of the first participant");
}

#[test]
fn endpoint_must_be_http() {
    let text = valid().replacen("http://127.0.0.1:9102/agent", "ftp://127.0.0.1/agent", 1);
    let e = err(&text);
    assert!(matches!(e.kind, RosterErrorKind::BadEndpoint { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("ftp://127.0.0.1/agent"), "{msg}");
    assert!(msg.contains("http:// or https://"), "{msg}");
    assert!(msg.contains(keys(2).did().as_str()), "{msg}");
    assert_eq!(e.line, Some(line_of(&text, "endpoint = \"ftp")));
}

#[test]
fn empty_label() {
    let text = valid().replacen("label = \"L3\"", "label = \"  \"", 1);
    let e = err(&text);
    assert!(e.to_string().contains("label is empty"), "{e}");
}

#[test]
fn bad_logo() {
    let text = valid().replacen(
        "organization = \"Org 1\"",
        "organization = \"Org 1\"\nlogo = \"../../etc/passwd\"",
        1,
    );
    let e = err(&text);
    assert!(e.to_string().contains("logo"), "{e}");
    assert!(e.to_string().contains("file name"), "{e}");
}

#[test]
fn unknown_did_in_route() {
    let text = format!("{}{}", valid(), hop(7, Some(1)));
    let e = err(&text);
    assert!(matches!(e.kind, RosterErrorKind::UnknownHop { .. }), "{e}");
    assert!(e.to_string().contains("route: unknown DID"), "{e}");
    assert!(e.to_string().contains(keys(7).did().as_str()), "{e}");
}

#[test]
fn repeated_hop() {
    let text = format!("{}{}", valid(), hop(2, Some(1)));
    let e = err(&text);
    assert!(
        matches!(e.kind, RosterErrorKind::DuplicateHop { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("appears twice"), "{e}");
}

#[test]
fn negative_days() {
    let text = valid().replacen("days = 5", "days = -2", 1);
    let e = err(&text);
    assert!(
        matches!(e.kind, RosterErrorKind::BadDays { days: -2, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("days = -2"), "{e}");
    assert_eq!(e.line, Some(line_of(&text, "days = -2")));
}

#[test]
fn absurd_days() {
    let text = valid().replacen("days = 5", "days = 4000", 1);
    let e = err(&text);
    assert!(
        matches!(e.kind, RosterErrorKind::BadDays { days: 4000, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("from 0 to 365"), "{e}");
}

#[test]
fn fractional_days_are_a_type_error_with_a_line() {
    let text = valid().replacen("days = 5", "days = 1.5", 1);
    let e = err(&text);
    assert!(matches!(e.kind, RosterErrorKind::Syntax(_)), "{e}");
    assert_eq!(e.line, Some(line_of(&text, "days = 1.5")));
}

#[test]
fn missing_days_after_the_first_hop() {
    let text = valid().replacen("days = 5\n", "", 1);
    let e = err(&text);
    assert!(matches!(e.kind, RosterErrorKind::MissingDays { .. }), "{e}");
    assert!(e.to_string().contains("needs `days`"), "{e}");
}

#[test]
fn first_hop_with_days() {
    let mut text = String::new();
    for n in 1..=2 {
        text.push_str(&participant(n));
    }
    text.push_str(&hop(1, Some(3)));
    let e = err(&text);
    assert!(
        matches!(e.kind, RosterErrorKind::FirstHopDays { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("start of the route"), "{e}");
}

#[test]
fn unknown_consensus_member() {
    let text = format!(
        "[consensus]\nmembers = [\"{}\", \"NotAParticipantDid\"]\n\n{}",
        keys(1).did(),
        valid()
    );
    let e = err(&text);
    assert!(
        matches!(e.kind, RosterErrorKind::UnknownMember { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("NotAParticipantDid"), "{e}");
    assert_eq!(e.line, Some(2));
}

#[test]
fn duplicate_and_empty_consensus_members() {
    let d = keys(1).did();
    let text = format!("[consensus]\nmembers = [\"{d}\", \"{d}\"]\n\n{}", valid());
    let e = err(&text);
    assert!(
        matches!(e.kind, RosterErrorKind::DuplicateMember { .. }),
        "{e}"
    );
    let text = format!("[consensus]\nmembers = []\n\n{}", valid());
    let e = err(&text);
    assert!(matches!(e.kind, RosterErrorKind::EmptyMembers), "{e}");
}

#[test]
fn unknown_dialect() {
    let text = format!("[consensus]\ndialect = \"3.0\"\n\n{}", valid());
    let e = err(&text);
    assert!(matches!(e.kind, RosterErrorKind::Syntax(_)), "{e}");
    assert!(e.to_string().contains("1.0.25"), "{e}");
    assert_eq!(e.line, Some(2));
}

#[test]
fn unknown_keys_are_rejected() {
    let text = valid().replacen("label = \"L2\"", "lable = \"L2\"", 1);
    let e = err(&text);
    assert!(matches!(e.kind, RosterErrorKind::Syntax(_)), "{e}");
    assert!(e.to_string().contains("lable"), "{e}");
    assert!(e.line.is_some());
    let e = err(&format!("colour = 1\n{}", valid()));
    assert!(e.to_string().contains("colour"), "{e}");
    assert_eq!(e.line, Some(1));
}

#[test]
fn missing_field_is_named() {
    let text = valid().replacen("organization = \"Org 2\"\n", "", 1);
    let e = err(&text);
    assert!(e.to_string().contains("organization"), "{e}");
}

#[test]
fn toml_syntax_error_has_a_line_and_one_line_message() {
    let text = format!("{}[[route]\n", valid());
    let e = err(&text);
    assert!(matches!(e.kind, RosterErrorKind::Syntax(_)), "{e}");
    assert!(e.line.is_some());
    assert!(!e.to_string().contains('\n'), "{e}");
}

#[test]
fn own_did_missing() {
    let net = Network::parse(&valid(), "net.toml").unwrap();
    let e = net
        .require_participant(&Did::new("SomeoneElse1234567890"), "net.toml")
        .unwrap_err();
    assert!(matches!(e.kind, RosterErrorKind::OwnDidMissing { .. }));
    assert!(e.to_string().contains("SomeoneElse1234567890"), "{e}");
    assert!(e.to_string().contains("not a participant"), "{e}");
}

#[test]
fn missing_file_is_a_read_error() {
    let e = Network::load(std::path::Path::new("/nonexistent/network.toml")).unwrap_err();
    assert!(matches!(e.kind, RosterErrorKind::Read(_)));
    assert!(e.to_string().contains("/nonexistent/network.toml"), "{e}");
}
