//! Shared set-up of the API tests: a node's API served over real HTTP on 127.0.0.1:0 with a
//! fresh SQLite database and data directory, a six-organisation test network (the demo
//! route plus one participant that is not on the route), users, and ledgers whose
//! transactions are signed with the participants' demo keys.
#![allow(dead_code)]

use std::sync::Arc;

use base64::Engine;
use serde_json::{json, Map, Value};
use tmtm_microledger::{Microledger, Transaction};
use tmtm_node::api::clock::{days_from_civil, fixed_clock};
use tmtm_node::api::{self, ApiSettings, ApiState, HealthPinger, Metrics};
use tmtm_node::config::{DocumentSet, SignaturePolicy};
use tmtm_node::demo::TMTM_DEMO;
use tmtm_node::endpoint::HttpUrl;
use tmtm_node::roster::Network;
use tmtm_node::secret::Secret;
use tmtm_node::storage::{Database, LoadedLedger, Role, StorageOptions};
use tmtm_wire::keys::{Did, KeyPair};
use tmtm_wire::signature;

/// Seed of the off-route participant (a shipping line, like the original's KAZMORTRANSFLOT).
pub const OFF_ROUTE_SEED: &[u8; 32] = b"tmtm-test-only-shipping-line-001";
/// The public base URL the test node is configured with (not its bind address).
pub const PUBLIC_URL: &str = "https://tmtm.example.org";
/// Upload limit of the test node.
pub const UPLOAD_LIMIT: u64 = 64 * 1024;
pub const ADMIN: (&str, &str) = ("admin", "correct horse battery");
pub const USER: (&str, &str) = ("анна", "пароль-анны-1");

/// "Now" of the test node: 2024-03-20 12:00 UTC.
pub fn now_ms() -> i64 {
    days_from_civil(2024, 3, 20) * 86_400_000 + 12 * 3_600_000
}

/// Key of route hop `i` (0 = KTZ Express … 4 = Georgian Railway).
pub fn hop_keys(i: usize) -> KeyPair {
    KeyPair::from_seed(TMTM_DEMO[i].seed)
}

pub fn off_route_keys() -> KeyPair {
    KeyPair::from_seed(OFF_ROUTE_SEED)
}

/// The test network file.
pub fn network() -> Network {
    let mut text = String::from("name = \"API test network\"\n");
    let mut add = |keys: &KeyPair, label: &str, org: &str, logo: &str, port: u16| {
        text.push_str(&format!(
            "[[participants]]\ndid = \"{}\"\nverkey = \"{}\"\nendpoint = \"http://127.0.0.1:{port}/agent\"\nlabel = \"{label}\"\norganization = \"{org}\"\nlogo = \"{logo}\"\n",
            keys.did(), keys.verkey()
        ));
    };
    for (i, org) in TMTM_DEMO.iter().enumerate() {
        add(
            &hop_keys(i),
            org.label,
            org.organization,
            org.logo,
            org.port,
        );
    }
    add(&off_route_keys(), "KMTF", "Shipping Line", "ship.png", 9106);
    for (i, org) in TMTM_DEMO.iter().enumerate() {
        text.push_str(&format!("[[route]]\ndid = \"{}\"\n", hop_keys(i).did()));
        if let Some(d) = org.days {
            text.push_str(&format!("days = {d}\n"));
        }
    }
    Network::parse(&text, "test network").unwrap()
}

/// A running API.
pub struct TestApi {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Database,
    pub state: ApiState,
    pub dir: tempfile::TempDir,
    pub admin_id: i64,
    pub user_id: i64,
}

pub struct Options {
    /// Index of this node on the route (or the off-route participant with `None`).
    pub own_hop: Option<usize>,
    pub policy: SignaturePolicy,
    pub pinger: Option<Arc<dyn HealthPinger>>,
    pub document_set: DocumentSet,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            own_hop: Some(2),
            policy: SignaturePolicy::Strict,
            pinger: None,
            document_set: DocumentSet::Rail,
        }
    }
}

pub async fn start() -> TestApi {
    start_with(Options::default()).await
}

pub async fn start_with(options: Options) -> TestApi {
    let dir = tempfile::tempdir().unwrap();
    let db =
        Database::open_sqlite_file(&dir.path().join("tmtm.sqlite3"), &StorageOptions::default())
            .await
            .unwrap();
    let own = options
        .own_hop
        .map_or_else(|| off_route_keys().did(), |i| hop_keys(i).did());
    let settings = ApiSettings {
        own_did: own,
        public_url: HttpUrl::parse_base(PUBLIC_URL).unwrap(),
        data_dir: dir.path().join("data"),
        token_lifetime_secs: 3600,
        upload_max_bytes: UPLOAD_LIMIT,
        signature_policy: options.policy,
        document_set: options.document_set,
        session_lifetime_ms: 3_600_000,
    };
    let mut state = ApiState::new(db.clone(), network(), settings, Metrics::new())
        .with_clock(fixed_clock(now_ms()));
    if let Some(p) = options.pinger {
        state = state.with_pinger(p);
    }
    let admin = api::users::add_user(&db, ADMIN.0, &Secret::new(ADMIN.1), Role::Admin, 1)
        .await
        .unwrap();
    let user = api::users::add_user(&db, USER.0, &Secret::new(USER.1), Role::User, 1)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = api::router(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    TestApi {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        db,
        state,
        dir,
        admin_id: admin.id,
        user_id: user.id,
    }
}

impl TestApi {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET as the ordinary user.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .basic_auth(USER.0, Some(USER.1))
            .send()
            .await
            .unwrap()
    }

    /// GET as the user; asserts 200 and returns the JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }
}

/// `Authorization: Basic …` for raw header tests.
pub fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// A business transaction (the original's issue-transaction shape).
pub fn doc(no: &str, date: &str, ledger: &str) -> Map<String, Value> {
    let v = json!({
        "@type": "https://github.com/Sirius-social/TMTM/tree/master/transactions/1.0/issue-transaction",
        "@id": format!("id-{no}"),
        "no": no,
        "date": date,
        "cargo": "Cotton",
        "departure_station": "Достык",
        "arrival_station": "Poti",
        "doc_type": "WayBill",
        "ledger": {"name": ledger},
        "~attach": [{"@id": "document-0", "mime_type": "application/pdf", "filename": "waybill.pdf",
                     "data": {"json": {"url": "https://x.example/content/1", "md5": "00"}}}],
    });
    v.as_object().unwrap().clone()
}

/// Signs `txn` as `keys` (msg~sig with sig_data over the transaction without msg~sig).
pub fn signed(mut txn: Map<String, Value>, keys: &KeyPair) -> Map<String, Value> {
    txn.shift_remove("msg~sig");
    let dec = signature::sign(keys, &Value::Object(txn.clone()), 1_710_000_000).unwrap();
    txn.insert("msg~sig".into(), serde_json::to_value(dec).unwrap());
    txn
}

/// Creates a ledger with `txns` as its genesis and the original's metadata; returns its id.
pub async fn create_ledger(
    db: &Database,
    name: &str,
    txns: Vec<Map<String, Value>>,
    now: i64,
) -> i64 {
    let genesis = txns
        .into_iter()
        .map(|m| Transaction::from_map(m).unwrap())
        .collect();
    let (ledger, _) = Microledger::create(name, genesis, LoadedLedger::default()).unwrap();
    let batches = ledger.store().take_applied();
    let mut tx = db.begin().await.unwrap();
    let id = tx.apply_ledger_batch(&batches[0], now).await.unwrap();
    let metadata = json!({"actor": {"label": "SELF", "did": hop_keys(2).did().as_str()},
                          "local_timestamp_utc": "2024-03-20 12:00:00", "participants": []});
    tx.set_ledger_metadata(name, &metadata).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// DID of route hop `i`.
pub fn hop_did(i: usize) -> Did {
    hop_keys(i).did()
}
