//! The harness itself.

use zhicha_tests::with_database;

#[test]
fn test_database_urls_keep_everything_but_the_name() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(with_database("postgres://u:p@h/db?sslmode=disable", "t1"), "postgres://u:p@h/t1?sslmode=disable");
    assert_eq!(with_database("postgres://h:5432", "t1"), "postgres://h:5432/t1");
}
