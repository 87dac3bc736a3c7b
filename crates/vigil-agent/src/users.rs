//! uid → user name from `/etc/passwd`, re-read when the file changes.

use crate::procfs::read_small;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::SystemTime;

#[derive(Debug)]
pub struct Users {
    path: PathBuf,
    names: HashMap<u32, String>,
    mtime: Option<SystemTime>,
}

impl Users {
    pub fn new(path: PathBuf) -> Self {
        let mut u = Users {
            path,
            names: HashMap::new(),
            mtime: None,
        };
        u.refresh();
        u
    }

    /// Re-reads the file if its modification time moved.
    pub fn refresh(&mut self) {
        let mtime = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        if mtime.is_some() && mtime == self.mtime {
            return;
        }
        self.mtime = mtime;
        if let Some(bytes) = read_small(&self.path, 4 << 20) {
            self.names = parse_passwd(&String::from_utf8_lossy(&bytes));
        }
    }

    pub fn name(&self, uid: u32) -> Option<String> {
        self.names.get(&uid).cloned()
    }
}

pub fn parse_passwd(text: &str) -> HashMap<u32, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let uid = f.nth(1)?.parse().ok()?;
            Some((uid, name.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwd() {
        let m = super::parse_passwd(
            "root:x:0:0:root:/root:/bin/bash\n# c\nwww-data:x:33:33::/var/www:/usr/sbin/nologin\nbad\n",
        );
        assert_eq!(m.get(&0).map(String::as_str), Some("root"));
        assert_eq!(m.get(&33).map(String::as_str), Some("www-data"));
        assert_eq!(m.len(), 2);
    }
}
