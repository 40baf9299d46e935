//! The storage operations on SQLite (`BEGIN IMMEDIATE` serialises writers, so no row locks).

super::backend::backend_ops!(sqlx::Sqlite, sqlx::SqlitePool, "BEGIN IMMEDIATE", "");
