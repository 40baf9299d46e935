//! How long the services keep an idle HTTP/1.1 connection open, as servers and as clients.
//!
//! A client that takes a pooled connection just as the server closes it for idleness fails a
//! request it has begun to send, and a streamed upload cannot be sent again: P2 on
//! PostgreSQL once saw one upload of about 10,000 answered 503 `packager-unavailable` so
//! ("error sending request"). Every service's server keeps an idle connection for
//! [`SERVER_KEEP_ALIVE`] and every service's client drops its idle ones after
//! [`CLIENT_IDLE`], which is shorter, so a client never reuses a connection that one of our
//! servers is about to close. A caller's callback server with a shorter keep-alive can still
//! race; deliveries are retried (the outbox), uploads come from the caller.

use std::time::Duration;

/// How long a service's server keeps an idle connection (actix-web's default, made explicit).
pub const SERVER_KEEP_ALIVE: Duration = Duration::from_secs(5);

/// How long a service's client keeps an idle pooled connection: less than
/// [`SERVER_KEEP_ALIVE`], and less than the 5 s of common servers (Node.js, actix-web).
pub const CLIENT_IDLE: Duration = Duration::from_secs(4);

#[cfg(test)]
mod tests {
    #[test]
    fn clients_let_go_before_servers_do() {
        assert!(super::CLIENT_IDLE < super::SERVER_KEEP_ALIVE);
    }
}
