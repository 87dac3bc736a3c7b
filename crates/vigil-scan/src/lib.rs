//! Agentless scanning over a Filesystem abstraction (directory, raw disk image, container image): packages, vulnerabilities, secrets, SBOM. Pure except for the filesystem readers.
