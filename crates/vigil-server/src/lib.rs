//! REST API and web console served by the vigil binary.
