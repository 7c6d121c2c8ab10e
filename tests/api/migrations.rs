//! Migrations as operators meet them.

use futures::future::join_all;
use vipps_identity::db::{Backend, DbPool};

use crate::helpers::TestDb;

/// On PostgreSQL any number of instances may start together against one database: an
/// advisory lock lets exactly one of them apply each migration. (SQLite is one instance per
/// file; there the same instance simply finds nothing left to apply on its next start.)
#[tokio::test(flavor = "multi_thread")]
async fn each_migration_is_applied_exactly_once() {
    let db = TestDb::create().await;
    let first = DbPool::connect(&db.url, 2).expect("pool");
    let applied = if first.backend() == Backend::Postgres {
        let mut pools = vec![first];
        pools.extend((0..3).map(|_| DbPool::connect(&db.url, 2).expect("pool")));
        let results = join_all(pools.iter().map(DbPool::migrate)).await;
        let applied: Vec<usize> = results
            .into_iter()
            .map(|r| r.expect("every instance starts"))
            .collect();
        assert_eq!(applied.len(), 4);
        applied.iter().sum::<usize>()
    } else {
        first.migrate().await.expect("migrate")
    };
    let migrations = std::fs::read_dir("migrations/postgres")
        .expect("migrations folder")
        .filter(|entry| entry.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count();
    assert!(migrations >= 2);
    assert_eq!(applied, migrations, "each migration ran exactly once");
    let again = DbPool::connect(&db.url, 2).expect("pool");
    assert_eq!(again.migrate().await.expect("migrate again"), 0);
}
