//! The Vigil host agent: process, network, login and sensitive-file events from eBPF or netlink/procfs, shipped in batches with an on-disk buffer.
