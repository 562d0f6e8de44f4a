//! Support code of the browser suite (`tests/browser.rs`): processes ([`process`]), the demo
//! network ([`network`]), chromedriver and Chromium ([`driver`]), page helpers ([`page`]), a
//! small PDF ([`pdf`]), the dashboard flows used by several steps ([`flows`]), and the
//! scenario's steps ([`steps_auth`], [`steps_documents`], [`steps_add_document`],
//! [`steps_list`], [`steps_xss`], [`steps_pages`]).

pub mod driver;
pub mod flows;
pub mod network;
pub mod page;
pub mod pdf;
pub mod process;
pub mod steps_add_document;
pub mod steps_auth;
pub mod steps_documents;
pub mod steps_list;
pub mod steps_pages;
pub mod steps_xss;
