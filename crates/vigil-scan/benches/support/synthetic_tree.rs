//! A deterministic stand-in for a root filesystem, for when `VIGIL_BENCH_TREE` is not set:
//! prose, configuration files, source code, shell scripts, some binaries (with NUL bytes, which
//! the secret scanner skips) and a few planted secrets. The same seed gives the same bytes, so
//! figures from two runs compare.

use std::path::Path;

/// xorshift64*: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const WORDS: &[&str] = &[
    "the",
    "package",
    "configuration",
    "file",
    "system",
    "default",
    "value",
    "user",
    "access",
    "service",
    "network",
    "server",
    "client",
    "option",
    "directory",
    "install",
    "version",
    "license",
    "permission",
    "data",
    "window",
    "output",
    "input",
    "buffer",
    "stream",
    "library",
    "function",
    "return",
    "error",
    "memory",
    "process",
    "thread",
    "support",
    "documentation",
    "copyright",
    "software",
    "free",
    "redistribute",
    "warranty",
    "module",
];

const KEYS: &[&str] = &[
    "timeout",
    "listen",
    "port",
    "log_level",
    "max_connections",
    "user",
    "group",
    "path",
    "cache_dir",
    "pid_file",
    "workers",
    "bind_address",
    "retries",
    "socket",
];

/// Setting names that wake keyword-gated rules.
const NAMED: &[&str] = &[
    "password_file",
    "api_url",
    "token_ttl",
    "auth_method",
    "key_size",
    "secret_path",
];

fn prose(r: &mut Rng, lines: usize) -> String {
    let mut s = String::new();
    for _ in 0..lines {
        let n = 4 + r.below(12);
        for i in 0..n {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(r.pick(WORDS));
        }
        s.push_str(".\n");
    }
    s
}

fn config(r: &mut Rng, lines: usize) -> String {
    let mut s = String::from("# generated configuration\n[main]\n");
    for i in 0..lines {
        let k = r.pick(KEYS);
        // Now and then a setting whose name a secret rule looks for, with a harmless value.
        if r.below(40) == 0 {
            s.push_str(&format!("{} = {}\n", r.pick(NAMED), r.pick(WORDS)));
            continue;
        }
        match r.below(4) {
            0 => s.push_str(&format!("{k} = {}\n", r.below(100_000))),
            1 => s.push_str(&format!("{k}: \"/var/lib/{}/{i}\"\n", r.pick(WORDS))),
            2 => s.push_str(&format!("# {}\n", prose(r, 1).trim_end())),
            _ => s.push_str(&format!("{k}={}\n", r.pick(WORDS))),
        }
    }
    s
}

fn source(r: &mut Rng, funcs: usize) -> String {
    let mut s = String::from("#include <stdio.h>\n\n");
    for i in 0..funcs {
        let a = r.pick(WORDS);
        let b = r.pick(WORDS);
        s.push_str(&format!(
            "/* {} */\nstatic int {a}_{b}_{i}(const char *{a}, int {b}) {{\n    if ({b} > {}) {{\n        return get_{a}({a}, \"{b}\");\n    }}\n    return 0;\n}}\n\n",
            prose(r, 1).trim_end(),
            r.below(1000)
        ));
    }
    s
}

fn binary(r: &mut Rng, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            if i % 97 == 0 {
                0
            } else {
                (r.next() >> 24) as u8
            }
        })
        .collect()
}

/// Secrets that the scanner must find, one per file (made up, never real credentials).
const PLANTED: &[(&str, &str)] = &[
    (
        "opt/app/settings.py",
        "AWS_ACCESS_KEY_ID = \"AKIAZ7QW3ERT5YUIJOPL\"\nAWS_SECRET_ACCESS_KEY = \"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\"\n",
    ),
    (
        "home/dev/deploy.sh",
        "curl -H 'Authorization: token ghp_R2uFq8L0pXz7VbN4mK1sT9wY3cE6aD5hJ0gI' https://api.github.com/\n",
    ),
    (
        "srv/web/.env",
        "DATABASE_PASSWORD=Zr7!kQ2m#Lp9vX4t\nSTRIPE_KEY=sk_test_51HbGq2LkT8mZr4VxNp7Qw3Ye\n",
    ),
];

/// Writes the tree under `root` (replacing an older one) and returns its size in bytes.
pub fn build(root: &Path) -> std::io::Result<u64> {
    if root.exists() {
        std::fs::remove_dir_all(root)?;
    }
    let mut r = Rng(0x5eed_1234_abcd_0001);
    let mut total = 0u64;
    let mut put = |rel: String, bytes: &[u8]| -> std::io::Result<()> {
        let p = root.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d)?;
        }
        total += bytes.len() as u64;
        std::fs::write(p, bytes)
    };
    for i in 0..1500 {
        let dir = r.pick(WORDS);
        put(
            format!("usr/share/doc/{dir}-{i}/README"),
            {
                let n = 40 + r.below(400);
                prose(&mut r, n)
            }
            .as_bytes(),
        )?;
    }
    for i in 0..600 {
        put(
            format!("etc/{}/{i}.conf", r.pick(WORDS)),
            {
                let n = 20 + r.below(200);
                config(&mut r, n)
            }
            .as_bytes(),
        )?;
    }
    for i in 0..600 {
        put(
            format!("usr/src/{}/{i}.c", r.pick(WORDS)),
            {
                let n = 5 + r.below(60);
                source(&mut r, n)
            }
            .as_bytes(),
        )?;
    }
    for i in 0..150 {
        let len = 4096 + r.below(400_000);
        put(
            format!("usr/lib/{}-{i}.so", r.pick(WORDS)),
            &binary(&mut r, len),
        )?;
    }
    for (rel, text) in PLANTED {
        put((*rel).to_string(), text.as_bytes())?;
    }
    Ok(total)
}
