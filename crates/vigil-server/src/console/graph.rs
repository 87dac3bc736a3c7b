//! The polygraph page: the graph of an alert or of any entity, drawn by `graph.js`.

use super::PageError;
use super::alerts::urlencode;
use super::layout;
use crate::auth::{Permission, Principal};
use crate::error::ApiError;
use crate::query::Params;
use axum::extract::RawQuery;
use maud::{Markup, html};

pub async fn page_handler(who: Principal, q: Option<String>) -> Result<Markup, PageError> {
    who.require(Permission::Read)?;
    let params = Params::parse(q.as_deref())?;
    let (title, api) = if let Some(id) = params.get("alert") {
        (
            format!("Polygraph of alert {id}"),
            format!("alert={}", urlencode(id)),
        )
    } else if let Some(e) = params.get("entity") {
        let mut api = format!("entity={}", urlencode(e));
        for k in ["since", "until", "baseline"] {
            if let Some(v) = params.get(k) {
                api.push_str(&format!("&{k}={}", urlencode(v)));
            }
        }
        (format!("Polygraph of {e}"), api)
    } else {
        return Err(ApiError::BadRequest("give `alert` or `entity`".into()).into());
    };
    let body = html! {
        h1 { (title) }
        div.legend {
            span.l-new { "new vs baseline" } span.l-evidence { "alert evidence" }
        }
        div #graph .graph .graph-full data-graph-url={"/api/v1/graph?" (api)} {}
        div #graph-status .graph-status {}
        div #graph-detail .graph-detail {}
        script src="/assets/vendor/cytoscape/cytoscape.min.js" {}
        script src="/assets/graph.js" {}
    };
    Ok(layout::page(&title, &who, "", body))
}

pub async fn page(who: Principal, RawQuery(q): RawQuery) -> Result<Markup, PageError> {
    page_handler(who, q).await
}
