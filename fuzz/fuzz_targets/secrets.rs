//! The secret scanner (Vigil's rule pack: gitleaks-format rules, keyword prefilter, entropy,
//! allowlists, AWS key pairing) over arbitrary bytes; the first byte picks the file's path
//! (rules and allowlists look at paths). Checks:
//! - scanning is deterministic;
//! - every finding is for the given path, on a line the file has, with an `xxh3:` fingerprint
//!   and a preview that shows at most four characters of the secret (the rest masked).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use vigil_scan::secrets::SecretScanner;

const PATHS: &[&str] = &[
    "/srv/app/.env",
    "/home/dev/.aws/credentials",
    "/srv/app/settings.py",
    "/root/.ssh/id_rsa",
    "/etc/ssl/private/server.key",
    "/home/dev/.git-credentials",
    "/srv/app/node_modules/x/README.md",
    "/srv/app/config.json",
];

fn scanner() -> &'static SecretScanner {
    static SCANNER: OnceLock<SecretScanner> = OnceLock::new();
    SCANNER.get_or_init(|| match SecretScanner::new(&[]) {
        Ok(s) => s,
        Err(e) => panic!("the shipped secret rules do not load: {e}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let path = PATHS[usize::from(pick) % PATHS.len()];
    let s = scanner();
    let found = s.scan(path, body);
    assert_eq!(found, s.scan(path, body), "not deterministic");
    let lines = memchr_count(body) + 1;
    for f in &found {
        assert_eq!(f.path, path);
        assert!(
            f.line >= 1 && f.line as usize <= lines,
            "line {} of {lines}",
            f.line
        );
        assert!(f.fingerprint.starts_with("xxh3:"), "{f:?}");
        assert!(
            f.preview.chars().skip(4).all(|c| c == '*') && f.preview.ends_with("****"),
            "preview shows too much: {f:?}"
        );
    }
});

fn memchr_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}
