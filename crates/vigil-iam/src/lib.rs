//! Identity security (CIEM): a faithful IAM policy evaluator, net-effective permissions, used vs
//! granted, privilege-escalation graph, risk scores, remediation. Pure: bytes and data in, data
//! out; no file or network I/O and no clock (time comes from the data).

pub mod analysis;
pub mod arn;
pub mod authz;
pub mod catalog;
pub mod condition;
pub mod context;
pub mod credential_report;
pub mod document;
pub mod effective;
pub mod engine;
pub mod escalation;
pub mod eval;
pub mod exclusion;
pub mod glob;
mod links;
pub mod policy;
pub mod remediation;
pub mod report;
pub mod risk;
pub mod usage;

pub use analysis::{Analysis, ExposedKey, Options, WhoCan};
pub use authz::{Account, Problem};
pub use credential_report::CredentialReport;
pub use eval::{Decision, Outcome};
pub use exclusion::CallExclusions;
pub use usage::ApiCall;
pub mod synth;
