//! The storage operations on SQLite (`BEGIN IMMEDIATE` serialises writers, so no row locks;
//! text compares byte-wise, which is code point order for UTF-8).

super::backend::backend_ops!(sqlx::Sqlite, sqlx::SqlitePool, "BEGIN IMMEDIATE", "", "");
