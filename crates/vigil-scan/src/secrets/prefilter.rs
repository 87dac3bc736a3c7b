//! The one pass over a file's bytes that decides where rules run. Every rule keyword (ASCII
//! case-insensitive) and every keyword-less rule's regex are patterns of a single lazy DFA
//! searched with overlapping matches, so the file is read once for all of them; a second full
//! pass for the keyword-less rules cost as much again as the keyword pass itself.

use regex_automata::hybrid::dfa::{Cache, DFA, OverlappingState};
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;
use regex_automata::{Input, MatchError, MatchKind};
use std::sync::Mutex;

/// What the pass saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Keyword `k` at `start..end`.
    Keyword { k: usize, start: usize, end: usize },
    /// Regex `r` (of the list given to [`Prefilter::build`]) has a match ending at `end`.
    Regex { r: usize, end: usize },
}

pub struct Prefilter {
    dfa: DFA,
    /// Byte length of each keyword; patterns past these are the regexes.
    keyword_len: Vec<usize>,
    /// Lazy DFA caches, one per concurrent caller: states built for one file serve the next.
    caches: Mutex<Vec<Cache>>,
}

/// Room for the DFA's states; past it the cache is cleared and rebuilt as it goes.
const CACHE_BYTES: usize = 32 << 20;

impl Prefilter {
    pub fn build(keywords: &[String], regexes: &[&str]) -> Result<Prefilter, String> {
        let mut patterns: Vec<String> = keywords
            .iter()
            .map(|k| format!("(?i:{})", regex_syntax::escape(k)))
            .collect();
        patterns.extend(regexes.iter().map(|r| (*r).to_string()));
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .cache_capacity(CACHE_BYTES),
            )
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .thompson(thompson::Config::new().utf8(false))
            .build_many(&patterns)
            .map_err(|e| e.to_string())?;
        Ok(Prefilter {
            dfa,
            keyword_len: keywords.iter().map(String::len).collect(),
            caches: Mutex::new(Vec::new()),
        })
    }

    /// Calls `f` for everything seen in `text`. An error means the DFA gave up part way; the
    /// caller then falls back to running every rule.
    pub fn scan(&self, text: &[u8], mut f: impl FnMut(Seen)) -> Result<(), MatchError> {
        let cached = self.caches.lock().ok().and_then(|mut v| v.pop());
        let mut cache = cached.unwrap_or_else(|| self.dfa.create_cache());
        let input = Input::new(text);
        let mut state = OverlappingState::start();
        let result = loop {
            if let Err(e) = self
                .dfa
                .try_search_overlapping_fwd(&mut cache, &input, &mut state)
            {
                break Err(e);
            }
            let Some(m) = state.get_match() else {
                break Ok(());
            };
            let (p, end) = (m.pattern().as_usize(), m.offset());
            match self.keyword_len.get(p) {
                Some(&len) => f(Seen::Keyword {
                    k: p,
                    start: end.saturating_sub(len),
                    end,
                }),
                None => f(Seen::Regex {
                    r: p - self.keyword_len.len(),
                    end,
                }),
            }
        };
        if let Ok(mut v) = self.caches.lock() {
            v.push(cache);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_overlap_and_regexes_report_ends() {
        let p = Prefilter::build(&["pass".into(), "password".into()], &[r"[0-9]{3}"]).unwrap();
        let mut seen = Vec::new();
        p.scan(b"PassWord=1234", |s| seen.push(s)).unwrap();
        assert!(seen.contains(&Seen::Keyword {
            k: 0,
            start: 0,
            end: 4
        }));
        assert!(seen.contains(&Seen::Keyword {
            k: 1,
            start: 0,
            end: 8
        }));
        assert!(seen.contains(&Seen::Regex { r: 0, end: 12 }));
        assert!(seen.contains(&Seen::Regex { r: 0, end: 13 }));
    }
}
