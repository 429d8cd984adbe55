//! How many SQL statements one `POST /mp/findings` costs on PostgreSQL, read from the
//! server's own statement log (issue 16 budgets ≤ 10 per create, the whole request).
//! Not part of the suite: it needs statement logging on the test connections and the
//! server's log file, e.g.
//!
//! ```sh
//! ZHICHA_TEST_PG_URL='postgres://postgres@127.0.0.1:5432/postgres?options=-c%20log_statement%3Dall' \
//! PG_LOG=/var/log/postgresql/postgresql-15-main.log \
//!   cargo test -p zhicha-tests --test it -- --ignored --nocapture write_budget
//! ```
//!
//! It prints each create's statements between two marker queries and their number.
//! The trigger evaluation a submitted finding starts and the audit sealer run beside
//! the request on other connections; their transactions are left out of the count.

use serde_json::json;
use zhicha_tests::{Backend, Opts, TestApp, run_app};

use crate::findings::{key, mp_token};
use crate::support;
use crate::wechat::mp_post;

/// The statements of `db` logged between the two markers, as `[pid] text`, without
/// the background work that runs beside the request: a transaction whose first
/// statement takes a lock that only jobs take (the trigger evaluation's advisory lock,
/// the audit sealer's head row) is left out whole, by its server process.
fn statements_between(log: &str, db: &str, begin: &str, end: &str) -> Vec<String> {
    use std::collections::{HashMap, HashSet};
    let from = log.find(begin).unwrap_or_else(|| panic!("marker {begin} not in the log"));
    let rest = &log[from..];
    let to = rest.find(end).unwrap_or_else(|| panic!("marker {end} not in the log"));
    // Up to the start of the end marker's line.
    let to = rest[..to].rfind('\n').unwrap_or(to);
    let background = |s: &str| s.contains("advisory_xact_lock") || s.contains("FOR UPDATE SKIP LOCKED");
    let (mut out, mut opened, mut skipping) = (Vec::new(), HashMap::new(), HashSet::new());
    for l in rest[..to].lines().skip(1) {
        let Some((head, text)) = l.split_once(&format!("@{db} LOG:")) else { continue };
        let text = text.trim();
        if !(text.starts_with("statement: ") || text.starts_with("execute ")) || text.contains("zhicha-budget-") {
            continue;
        }
        let pid = head.split('[').nth(1).and_then(|p| p.split(']').next()).unwrap_or("?").to_string();
        let shown: String = format!("[{pid}] {}", text.chars().take(150).collect::<String>());
        let ends = text == "statement: COMMIT" || text == "statement: ROLLBACK";
        if skipping.contains(&pid) {
            if ends {
                skipping.remove(&pid);
            }
            continue;
        }
        if text == "statement: BEGIN" {
            opened.insert(pid, shown);
            continue;
        }
        if let Some(b) = opened.remove(&pid) {
            if background(text) {
                skipping.insert(pid);
                continue;
            }
            out.push(b);
        }
        out.push(shown);
    }
    // A BEGIN with nothing after it before the end marker is not the request's: the
    // answer waited for its own transaction's COMMIT.
    out
}

async fn mark(app: &TestApp, what: &str) {
    use sea_orm::ConnectionTrait;
    app.db.execute_unprepared(&format!("SELECT '{what}'")).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs log_statement=all and the server log: see the file's header"]
async fn write_budget() {
    let Ok(log_path) = std::env::var("PG_LOG") else {
        println!("skipped: set PG_LOG to the PostgreSQL server log");
        return;
    };
    let opts = Opts { demo: true, standin: true, limits: Some((6000, 1000, 1000)), ..Default::default() };
    run_app(Backend::Postgres, opts, async |app: &TestApp| {
        app.ensure_demo().await;
        let (officer, _) = mp_token(app, "demo-officer-e03").await;
        let db = {
            use sea_orm::ConnectionTrait;
            let r = app
                .db
                .query_one_raw(sea_orm::Statement::from_string(
                    app.db.get_database_backend(),
                    "SELECT current_database()",
                ))
                .await
                .unwrap()
                .unwrap();
            r.try_get_by_index::<String>(0).unwrap()
        };
        let body = |submit: bool| {
            json!({"client_id": key(), "location": "锅炉房", "description": "安全阀未校验", "grade": "general",
                   "accident_types": ["03"], "submit": submit})
        };
        // Warm the pools' statement caches and the token cache first, as drafts (no
        // trigger evaluation left running), then let the jobs settle.
        for _ in 0..4 {
            let r = mp_post(app, "/mp/findings", &officer, &key(), body(false)).await;
            assert_eq!(r.status().as_u16(), 201);
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        for (name, submit) in [("draft", false), ("submitted", true)] {
            let tag = uuid::Uuid::new_v4().simple().to_string();
            let (begin, end) = (format!("zhicha-budget-begin-{tag}"), format!("zhicha-budget-end-{tag}"));
            mark(app, &begin).await;
            let (s, _, f) = support::json(mp_post(app, "/mp/findings", &officer, &key(), body(submit)).await).await;
            assert_eq!(s, 201, "{f}");
            mark(app, &end).await;
            // The server writes its log asynchronously to the file.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            let log = std::fs::read_to_string(&log_path).unwrap();
            let lines = statements_between(&log, &db, &begin, &end);
            for l in &lines {
                println!("  {l}");
            }
            println!("POST /mp/findings ({name}): {} statements", lines.len());
        }
    })
    .await;
}
