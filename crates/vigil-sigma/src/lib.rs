//! Sigma-compatible rule engine: parse, lint, compile and index Sigma rules; match them against vigil-model events through a field-mapping data file. Pure.
