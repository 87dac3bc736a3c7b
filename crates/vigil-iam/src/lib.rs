//! Identity security (CIEM): a faithful IAM policy evaluator, net-effective permissions, used vs granted, privilege-escalation graph, risk scores, remediation. Pure.
