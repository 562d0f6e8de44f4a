//! A tiny cookie-keeping HTTP client for the dashboard tests (no browser): it follows no
//! redirects (tests assert them), keeps the cookies the node sets, and finds CSRF tokens in
//! the returned HTML.
#![allow(dead_code)]

use std::sync::Mutex;

use reqwest::header::{HeaderMap, COOKIE, SET_COOKIE};
use reqwest::StatusCode;

/// One answer: status, headers, body text.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// The `Location` header.
    pub fn location(&self) -> String {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    }

    /// The first `name="csrf"` input's value in the body.
    pub fn csrf(&self) -> String {
        csrf_in(&self.body)
    }

    /// The `Set-Cookie` header of cookie `name`.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }
}

/// The value of the first CSRF input of an HTML page.
pub fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf input");
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// A browser-like client of one node.
pub struct Browser {
    pub base: String,
    client: reqwest::Client,
    cookies: Mutex<Vec<(String, String)>>,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            base: base.to_owned(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Mutex::new(Vec::new()),
        }
    }

    /// The `Cookie` header value this browser sends.
    pub fn cookie_header(&self) -> String {
        let c = self.cookies.lock().unwrap();
        c.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        let c = self.cookies.lock().unwrap();
        c.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    fn keep(&self, headers: &HeaderMap) {
        let mut c = self.cookies.lock().unwrap();
        for v in headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let pair = v.split(';').next().unwrap_or("");
            if let Some((k, val)) = pair.split_once('=') {
                c.retain(|(n, _)| n != k);
                if !v.contains("Max-Age=0") {
                    c.push((k.to_owned(), val.to_owned()));
                }
            }
        }
    }

    async fn finish(&self, r: reqwest::Response) -> Page {
        let status = r.status();
        let headers = r.headers().clone();
        self.keep(&headers);
        Page {
            status,
            headers,
            body: r.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    /// Logs in through the login form; asserts the redirect.
    pub async fn login(&self, user: &str, password: &str) {
        let form = self.get("/ui/login").await;
        assert_eq!(form.status, 200);
        let csrf = form.csrf();
        let r = self
            .post(
                "/ui/login",
                &[
                    ("csrf", &csrf),
                    ("username", user),
                    ("password", password),
                    ("next", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(self.cookie("tmtm_session").is_some());
    }

    /// GET a page; asserts 200 and returns its HTML.
    pub async fn html(&self, path: &str) -> String {
        let p = self.get(path).await;
        assert_eq!(p.status, 200, "GET {path}: {}", p.body);
        p.body
    }
}
