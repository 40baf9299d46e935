//! List responses: `Record-Count` and an RFC 8288 `Link` header for the pages.

use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::query::Page;

/// A 200 builder carrying `Record-Count` and `Link`.
pub fn list_response(req: &HttpRequest, page: Page, total: u64) -> HttpResponseBuilder {
    let mut builder = HttpResponse::Ok();
    builder.insert_header(("Record-Count", total.to_string()));
    builder.insert_header(("Link", link_header(req, page, total)));
    builder
}

fn link_header(req: &HttpRequest, page: Page, total: u64) -> String {
    let others: Vec<&str> = req
        .query_string()
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split('=').next().unwrap_or("");
            key != "page_number" && key != "page_size"
        })
        .collect();
    let url = |number: u64| {
        let mut query = others.clone().join("&");
        if !query.is_empty() {
            query.push('&');
        }
        format!(
            "<{}?{query}page_number={number}&page_size={}>",
            req.path(),
            page.size
        )
    };
    let last = total.saturating_sub(1) / page.size.max(1);
    let mut links = vec![
        format!("{}; rel=\"first\"", url(0)),
        format!("{}; rel=\"last\"", url(last)),
    ];
    if page.number > 0 {
        links.push(format!(
            "{}; rel=\"prev\"",
            url(page.number.min(last + 1) - 1)
        ));
    }
    if page.number < last {
        links.push(format!("{}; rel=\"next\"", url(page.number + 1)));
    }
    links.join(", ")
}
