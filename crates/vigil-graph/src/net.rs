//! Addresses and ports: CIDR blocks, IP protocols as security groups and network ACLs spell
//! them, and sets of port ranges with the set operations rule evaluation needs.

use serde::Serialize;
use std::net::IpAddr;

/// An IPv4 or IPv6 block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub v6: bool,
    addr: u128,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (ip, len) = match s.split_once('/') {
            Some((ip, len)) => (ip, Some(len.parse::<u8>().ok()?)),
            None => (s, None),
        };
        match ip.trim().parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => {
                let prefix = len.unwrap_or(32);
                (prefix <= 32).then_some(Cidr {
                    v6: false,
                    addr: u128::from(u32::from(a)),
                    prefix,
                })
            }
            IpAddr::V6(a) => {
                let prefix = len.unwrap_or(128);
                (prefix <= 128).then_some(Cidr {
                    v6: true,
                    addr: u128::from(a),
                    prefix,
                })
            }
        }
    }

    /// `0.0.0.0/0` or `::/0`: every address of its family.
    pub fn is_world(&self) -> bool {
        self.prefix == 0
    }

    pub fn contains(&self, ip: &str) -> bool {
        let Some(other) = Cidr::parse(ip) else {
            return false;
        };
        if other.v6 != self.v6 {
            return false;
        }
        let bits: u32 = if self.v6 { 128 } else { 32 };
        let shift = bits - u32::from(self.prefix);
        if shift >= 128 {
            return true;
        }
        (self.addr >> shift) == (other.addr >> shift)
    }
}

/// True when `s` parses as a block covering every address of its family.
pub fn is_world(s: &str) -> bool {
    Cidr::parse(s).is_some_and(|c| c.is_world())
}

/// The IP protocols the graph reasons about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Protocol {
    pub const BOTH: [Protocol; 2] = [Protocol::Tcp, Protocol::Udp];

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }

    /// Whether a rule's protocol field (`tcp`, `6`, `-1`, `all`) covers this protocol.
    pub fn matches(self, rule: &str) -> bool {
        let r = rule.trim().to_ascii_lowercase();
        match r.as_str() {
            "-1" | "all" => true,
            "tcp" | "6" => self == Protocol::Tcp,
            "udp" | "17" => self == Protocol::Udp,
            _ => false,
        }
    }
}

/// A set of ports: sorted, disjoint, inclusive ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PortSet(Vec<(u16, u16)>);

impl PortSet {
    pub fn all() -> Self {
        PortSet(vec![(0, u16::MAX)])
    }

    pub fn range(from: u16, to: u16) -> Self {
        if from <= to {
            PortSet(vec![(from, to)])
        } else {
            PortSet::default()
        }
    }

    /// A rule's range: `None` means every port.
    pub fn of(ports: Option<(u16, u16)>) -> Self {
        ports.map_or_else(PortSet::all, |(a, b)| PortSet::range(a, b))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.0
    }

    pub fn contains(&self, port: u16) -> bool {
        self.0.iter().any(|&(a, b)| a <= port && port <= b)
    }

    pub fn union(&self, other: &PortSet) -> PortSet {
        let mut all: Vec<(u16, u16)> = self.0.iter().chain(&other.0).copied().collect();
        all.sort_unstable();
        let mut out: Vec<(u16, u16)> = Vec::with_capacity(all.len());
        for (a, b) in all {
            match out.last_mut() {
                Some(last) if u32::from(a) <= u32::from(last.1) + 1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        PortSet(out)
    }

    pub fn intersect(&self, other: &PortSet) -> PortSet {
        let mut out = Vec::new();
        for &(a, b) in &self.0 {
            for &(c, d) in &other.0 {
                let (lo, hi) = (a.max(c), b.min(d));
                if lo <= hi {
                    out.push((lo, hi));
                }
            }
        }
        PortSet(out).union(&PortSet::default())
    }

    pub fn minus(&self, other: &PortSet) -> PortSet {
        let mut cur = self.0.clone();
        for &(c, d) in &other.0 {
            let mut next = Vec::with_capacity(cur.len() + 1);
            for (a, b) in cur {
                if d < a || c > b {
                    next.push((a, b));
                    continue;
                }
                if a < c {
                    next.push((a, c - 1));
                }
                if d < b {
                    next.push((d + 1, b));
                }
            }
            cur = next;
        }
        PortSet(cur)
    }
}

impl std::fmt::Display for PortSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, &(a, b)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if (a, b) == (0, u16::MAX) {
                f.write_str("all")?;
            } else if a == b {
                write!(f, "{a}")?;
            } else {
                write!(f, "{a}-{b}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_contains_and_world() {
        let c = Cidr::parse("10.20.0.0/16").unwrap();
        assert!(c.contains("10.20.11.40"));
        assert!(!c.contains("10.21.0.1"));
        assert!(!c.contains("::1"));
        assert!(is_world("0.0.0.0/0") && is_world("::/0"));
        assert!(!is_world("1.1.1.1/32") && !is_world("garbage"));
        assert!(Cidr::parse("1.2.3.4/33").is_none());
        assert!(
            Cidr::parse("2001:db8::/32")
                .unwrap()
                .contains("2001:db8::5")
        );
    }

    #[test]
    fn port_sets() {
        let a = PortSet::range(20, 30).union(&PortSet::range(31, 40));
        assert_eq!(a.ranges(), &[(20, 40)]);
        assert_eq!(
            a.minus(&PortSet::range(25, 26)).ranges(),
            &[(20, 24), (27, 40)]
        );
        assert_eq!(a.intersect(&PortSet::range(35, 100)).ranges(), &[(35, 40)]);
        assert!(PortSet::all().minus(&PortSet::all()).is_empty());
        assert_eq!(
            PortSet::all().minus(&PortSet::range(0, 0)).ranges(),
            &[(1, 65535)]
        );
        assert_eq!(a.to_string(), "20-40");
        assert!(
            Protocol::Tcp.matches("6")
                && Protocol::Tcp.matches("-1")
                && !Protocol::Udp.matches("tcp")
        );
    }
}
