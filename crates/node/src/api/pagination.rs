//! Pagination exactly like the original (Django REST framework's `PageNumberPagination`):
//! `{count, next, previous, results}`, 100 per page, `?page=N` (1-based), plus an optional
//! `page_size` up to 1000. `next`/`previous` are absolute URLs built from the configured
//! public base URL (never from the request's Host header). A page that is not a positive
//! whole number, or lies past the end, answers 404 "Invalid page." as DRF did.

use std::collections::HashMap;

use serde::Serialize;

use super::error::ApiError;
use super::ApiState;
use crate::storage::Page;
use axum::http::StatusCode;

/// Default page size.
pub const PAGE_SIZE: u64 = 100;
/// Largest `page_size`.
pub const MAX_PAGE_SIZE: u64 = 1000;

/// A validated `?page=&page_size=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageParams {
    pub page: u64,
    pub size: u64,
    /// Whether `page_size` was given (then it is repeated in `next`/`previous`).
    pub explicit_size: bool,
}

impl PageParams {
    /// Reads `page` and `page_size` from the query.
    pub fn from_query(query: &HashMap<String, String>) -> Result<PageParams, ApiError> {
        let page = match query.get("page").map(|p| p.trim()) {
            None => 1,
            Some("last") => u64::MAX,
            Some(p) => match p.parse::<u64>() {
                Ok(n) if n >= 1 => n,
                _ => return Err(invalid_page()),
            },
        };
        let (size, explicit_size) = match query.get("page_size") {
            None => (PAGE_SIZE, false),
            Some(s) => match s.trim().parse::<u64>() {
                Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => (n, true),
                _ => {
                    return Err(ApiError::bad_request(
                        "invalid_parameter",
                        format!("page_size must be a whole number from 1 to {MAX_PAGE_SIZE}"),
                    ))
                }
            },
        };
        Ok(PageParams {
            page,
            size,
            explicit_size,
        })
    }

    /// Resolves `last` and checks the page against the total; returns (offset, limit).
    pub fn window(&mut self, total: u64) -> Result<(u64, u64), ApiError> {
        let pages = total.div_ceil(self.size).max(1);
        if self.page == u64::MAX {
            self.page = pages;
        }
        if self.page > pages {
            return Err(invalid_page());
        }
        Ok(((self.page - 1) * self.size, self.size))
    }
}

fn invalid_page() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "invalid_page", "Invalid page.")
}

/// The list envelope.
#[derive(Clone, Debug, Serialize)]
pub struct Paginated<T> {
    pub count: u64,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

/// Wraps one page of results for `path` (the route's path, e.g. `/ledgers/`).
pub fn envelope<T>(
    state: &ApiState,
    path: &str,
    params: PageParams,
    total: u64,
    results: Vec<T>,
) -> Paginated<T> {
    let pages = total.div_ceil(params.size).max(1);
    let link = |page: u64| {
        let mut url = format!("{}?page={page}", state.settings.public_url.join_path(path));
        if params.explicit_size {
            url.push_str(&format!("&page_size={}", params.size));
        }
        url
    };
    Paginated {
        count: total,
        next: (params.page < pages).then(|| link(params.page + 1)),
        previous: (params.page > 1).then(|| link(params.page - 1)),
        results,
    }
}

/// Maps a storage page's items.
pub fn map_page<T, U>(page: Page<T>, f: impl FnMut(T) -> U) -> (u64, Vec<U>) {
    (page.total, page.items.into_iter().map(f).collect())
}
