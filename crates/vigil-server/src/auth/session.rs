//! Console sessions: an opaque random id in a cookie, mapped in memory to who logged in and
//! the CSRF token their pages carry. Restarting the server logs everyone out, which is fine.

use super::tokens::Role;
use rand::RngCore;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "vigil_session";
/// How long a console login lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Sessions kept at most; the oldest go first (a flood of logins cannot grow memory).
const MAX_SESSIONS: usize = 10_000;

#[derive(Debug, Clone)]
pub struct Session {
    pub name: String,
    pub role: Role,
    pub csrf: String,
    created: Instant,
}

#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

/// 32 random bytes from the OS-seeded CSPRNG, hex-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Sessions {
    /// Starts a session; returns its id (the cookie value).
    pub fn create(&self, name: &str, role: Role) -> String {
        let id = random_token();
        let session = Session {
            name: name.to_string(),
            role,
            csrf: random_token(),
            created: Instant::now(),
        };
        if let Ok(mut map) = self.map.lock() {
            map.retain(|_, s| s.created.elapsed() < SESSION_TTL);
            if map.len() >= MAX_SESSIONS
                && let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, s)| s.created)
                    .map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
            map.insert(id.clone(), session);
        }
        id
    }

    pub fn get(&self, id: &str) -> Option<Session> {
        let map = self.map.lock().ok()?;
        map.get(id)
            .filter(|s| s.created.elapsed() < SESSION_TTL)
            .cloned()
    }

    pub fn remove(&self, id: &str) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(id);
        }
    }
}
