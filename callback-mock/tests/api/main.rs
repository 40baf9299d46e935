//! Black-box tests of the callback mock over HTTP.

mod failures;
mod helpers;
mod read_back;
mod service_shape;
