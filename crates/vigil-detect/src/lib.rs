//! Detection engine: identity resolution, rule findings, behaviour baselines, composite alerts, suppression. Pure.
