//! The demo's sample data: a few containers at different points of the route, each with the
//! documents its hops would issue (a СМГС rail waybill and an invoice at KTZ Express, a sea
//! bill of lading and a packing list at Port Aktau, port and rail documents further on), some
//! with a small text attachment uploaded through `POST /upload`.
//!
//! Every document is issued at the node of its hop over the command WebSocket, so each is
//! signed by the organisation that would really issue it. Seeding runs only when the first
//! node has no ledgers yet (a first run, or `--fresh`).

use serde_json::{json, Value};

use super::client::NodeClient;
use super::setup::DemoNode;
use super::DemoError;

const PREFIX: &str = "https://github.com/Sirius-social/TMTM/tree/master/transactions/1.0/";

/// A container and the last route hop (0-based) it has reached.
struct Container {
    name: &'static str,
    cargo: &'static str,
    last_hop: usize,
    date: &'static str,
}

const CONTAINERS: [Container; 4] = [
    Container {
        name: "TKRU4471976",
        cargo: "Медь катодная / Copper cathodes",
        last_hop: 0,
        date: "02.06.2025",
    },
    Container {
        name: "MSKU7034512",
        cargo: "Пшеница / Wheat, bagged",
        last_hop: 1,
        date: "27.05.2025",
    },
    Container {
        name: "TGHU9982341",
        cargo: "Хлопковое волокно / Cotton fibre",
        last_hop: 3,
        date: "20.05.2025",
    },
    Container {
        name: "CAIU5550127",
        cargo: "Ферросплавы / Ferroalloys",
        last_hop: 4,
        date: "12.05.2025",
    },
];

/// One document as a hop issues it: (doc_type, no prefix, from, to, optional waybill).
fn hop_document(hop: usize, container: &Container) -> Value {
    let (doc_type, no, from, to) = match hop {
        0 => ("WayBill", "СМГС-", "Достык", "Актау-Порт"),
        1 => (
            "Bill of Lading",
            "BL-AKT-",
            "Порт Актау",
            "Порт Баку (Алят)",
        ),
        2 => ("Port Receipt", "PR-BAK-", "Порт Баку (Алят)", "Алят"),
        3 => ("WayBill", "СМГС-AZ-", "Алят", "Беюк-Кясик"),
        _ => ("WayBill", "СМГС-GE-", "Гардабани", "Поти-Порт"),
    };
    let mut doc = json!({
        "@type": format!("{PREFIX}issue-transaction"),
        "@id": format!("demo-{}-{hop}", container.name),
        "no": format!("{no}{}", container.name),
        "date": container.date,
        "cargo": container.cargo,
        "departure_station": from,
        "arrival_station": to,
        "doc_type": doc_type,
        "ledger": {"name": container.name},
        "time_to_live": 60,
    });
    if doc_type == "WayBill" {
        doc["waybill"] = json!({"no": format!("{no}{}", container.name), "wagon_no": "58123456"});
    }
    doc
}

/// The companion document of the first two hops (invoice, packing list).
fn companion_document(hop: usize, container: &Container) -> Option<Value> {
    let (doc_type, no) = match hop {
        0 => ("Invoice", "INV-"),
        1 => ("Packing List", "PL-"),
        _ => return None,
    };
    let mut doc = hop_document(hop, container);
    doc["doc_type"] = json!(doc_type);
    doc["no"] = json!(format!("{no}{}", container.name));
    doc["@id"] = json!(format!("demo-{}-{hop}-b", container.name));
    if let Some(m) = doc.as_object_mut() {
        m.remove("waybill");
    }
    Some(doc)
}

/// Adds an uploaded text copy of the document as its `~attach`.
async fn attach(client: &NodeClient<'_>, doc: &mut Value) -> Result<(), DemoError> {
    let field = |k: &str| doc.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let (no, kind) = (field("no"), field("doc_type"));
    let text = format!(
        "{kind} {no}\nDate: {}\nCargo: {}\nFrom: {}\nTo: {}\n(sample document of `tmtm demo`)\n",
        field("date"),
        field("cargo"),
        field("departure_station"),
        field("arrival_station"),
    );
    let filename = format!("{}.txt", no.replace(['/', ' '], "-"));
    let item = client.upload_text("document-0", &filename, &text).await?;
    doc["~attach"] = json!([item]);
    Ok(())
}

/// Creates one container's ledger at the first node and issues its later documents at each
/// hop up to `last_hop` (bounded by the number of nodes).
async fn seed_container(
    http: &reqwest::Client,
    nodes: &[DemoNode],
    container: &Container,
) -> Result<(), DemoError> {
    let Some(first) = nodes.first() else {
        return Ok(());
    };
    let client = NodeClient::new(http.clone(), first);
    let mut genesis = vec![hop_document(0, container)];
    if let Some(first_doc) = genesis.first_mut() {
        attach(&client, first_doc).await?;
    }
    genesis.extend(companion_document(0, container));
    for doc in &mut genesis {
        if let Some(m) = doc.as_object_mut() {
            m.remove("time_to_live");
        }
    }
    let create = json!({
        "@type": format!("{PREFIX}create-ledger"),
        "@id": format!("demo-create-{}", container.name),
        "name": container.name,
        "genesis": genesis,
        "time_to_live": 60,
    });
    client.command(&create).await?;
    let last = container.last_hop.min(nodes.len().saturating_sub(1));
    for (hop, node) in nodes.iter().enumerate().take(last + 1).skip(1) {
        let client = NodeClient::new(http.clone(), node);
        let mut doc = hop_document(hop, container);
        attach(&client, &mut doc).await?;
        client.command(&doc).await?;
        if let Some(extra) = companion_document(hop, container) {
            client.command(&extra).await?;
        }
    }
    Ok(())
}

/// Seeds the sample containers unless the first node already has ledgers. Returns how many
/// containers were created (0 when the data was already there).
pub async fn seed(http: &reqwest::Client, nodes: &[DemoNode]) -> Result<usize, DemoError> {
    let Some(first) = nodes.first() else {
        return Ok(0);
    };
    let existing = NodeClient::new(http.clone(), first)
        .get("/ledgers/")
        .await?;
    if existing.get("count").and_then(Value::as_u64).unwrap_or(0) > 0 {
        return Ok(0);
    }
    let jobs = CONTAINERS.iter().map(|c| seed_container(http, nodes, c));
    for result in futures_util::future::join_all(jobs).await {
        result?;
    }
    Ok(CONTAINERS.len())
}

/// The names of the seeded containers.
pub fn container_names() -> Vec<&'static str> {
    CONTAINERS.iter().map(|c| c.name).collect()
}
