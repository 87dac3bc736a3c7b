//! Static assets, embedded in the binary so one file runs anywhere.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

struct Asset {
    path: &'static str,
    mime: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        path: "console.css",
        mime: "text/css; charset=utf-8",
        bytes: include_bytes!("../../assets/console.css"),
    },
    Asset {
        path: "graph.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/graph.js"),
    },
    Asset {
        path: "paths.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/paths.js"),
    },
    Asset {
        path: "vendor/cytoscape/cytoscape.min.js",
        mime: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../../assets/vendor/cytoscape/cytoscape.min.js"),
    },
    Asset {
        path: "vendor/cytoscape/LICENSE",
        mime: "text/plain; charset=utf-8",
        bytes: include_bytes!("../../assets/vendor/cytoscape/LICENSE"),
    },
];

pub async fn serve(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.mime),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            a.bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
