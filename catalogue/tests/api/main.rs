//! Black-box API tests.
