//! JPay's list pages: `{items, pagination: {page, page_size, total, pages}}`.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use super::wire::{INVALID_PAGE, detail};

/// One page of a list.
#[derive(Debug, Serialize)]
pub(crate) struct Page<T: Serialize> {
    pub(crate) items: Vec<T>,
    pub(crate) pagination: Pagination,
}

/// `{page, page_size, total, pages}`.
#[derive(Debug, Serialize)]
pub(crate) struct Pagination {
    pub(crate) page: usize,
    pub(crate) page_size: usize,
    pub(crate) total: usize,
    pub(crate) pages: usize,
}

/// The default and largest page sizes.
const DEFAULT_PAGE_SIZE: usize = 20;
const MAX_PAGE_SIZE: usize = 100;

/// Cuts page `page` (from 1) of `page_size` out of `all`, from the `page` and `page_size` query
/// parameters; 400 "Invalid page." when they are not positive integers. A page past the end is
/// empty.
pub(crate) fn paginate<T: Serialize>(
    all: Vec<T>,
    query: &HashMap<String, String>,
) -> Result<Page<T>, Response> {
    let number = |name: &str, default: usize| -> Result<usize, Response> {
        match query.get(name) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| detail(StatusCode::BAD_REQUEST, INVALID_PAGE)),
        }
    };
    let page = number("page", 1)?;
    let page_size = number("page_size", DEFAULT_PAGE_SIZE)?.min(MAX_PAGE_SIZE);
    let total = all.len();
    let pages = total.div_ceil(page_size);
    let items = all
        .into_iter()
        .skip((page - 1).saturating_mul(page_size))
        .take(page_size)
        .collect();
    Ok(Page {
        items,
        pagination: Pagination {
            page,
            page_size,
            total,
            pages,
        },
    })
}
