//! The page shell every console view shares.

use crate::auth::{Permission, Principal};
use maud::{DOCTYPE, Markup, html};

/// The console's sections: (path, label). Later views add themselves here.
pub const NAV: &[(&str, &str)] = &[
    ("/alerts", "Alerts"),
    ("/events", "Events"),
    ("/identities", "Identities"),
    ("/scans", "Scans"),
    ("/paths", "Attack paths"),
    ("/risks", "Top risks"),
];

pub fn page(title: &str, who: &Principal, active: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Vigil" }
                // The id keeps cytoscape from injecting a <style> element (the CSP forbids
                // inline styles); the rule it would add is in console.css.
                link id="__________cytoscape_stylesheet" rel="stylesheet" href="/assets/console.css";
            }
            body {
                header.top {
                    a.brand href="/alerts" { "Vigil" }
                    nav {
                        @for (path, label) in NAV {
                            a href=(path) class=[(*path == active).then_some("active")] { (label) }
                        }
                    }
                    div.who {
                        span { (who.name) " · " (who.role.as_str()) }
                        @if let Some(csrf) = &who.csrf {
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" { "Log out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// Can `who` change state (show the status form)?
pub fn can_write(who: &Principal) -> bool {
    who.role.allows(Permission::Write)
}

pub fn error_page(status: u16, message: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Error " (status) " · Vigil" }
                link rel="stylesheet" href="/assets/console.css";
            }
            body {
                main.error {
                    h1 { "Error " (status) }
                    p { (message) }
                    p { a href="/alerts" { "Back to alerts" } }
                }
            }
        }
    }
}

pub fn severity_badge(s: vigil_model::Severity) -> Markup {
    html! { span class={"sev sev-" (s.as_str())} { (s.as_str()) } }
}

pub fn status_badge(s: vigil_model::AlertStatus) -> Markup {
    html! { span class={"status status-" (s.as_str())} { (s.as_str().replace('_', " ")) } }
}

/// `s` as one URL path segment: everything but ASCII letters, digits and `-._~` is
/// percent-encoded (form encoding would turn a space into `+`, which a path keeps as `+`).
pub fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::path_segment;

    #[test]
    fn a_segment_keeps_slashes_spaces_and_pluses_apart() {
        assert_eq!(
            path_segment("arn:aws:iam::1:user/a b+c"),
            "arn%3Aaws%3Aiam%3A%3A1%3Auser%2Fa%20b%2Bc"
        );
        assert_eq!(path_segment("é"), "%C3%A9");
    }
}
