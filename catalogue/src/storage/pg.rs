//! The storage operations on PostgreSQL (row locks with `FOR UPDATE`).

super::backend::backend_ops!(
    sqlx::Postgres,
    sqlx::PgPool,
    "BEGIN",
    " FOR UPDATE",
    " COLLATE \"C\""
);
