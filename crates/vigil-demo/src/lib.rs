//! vigil-demo
