//! Rosters of insured employers (参保单位名单) for tests, in the columns of the built-in
//! mapping `roster_social_insurance`: credit codes with valid check characters, real
//! GB/T 4754 classes and the demo city's districts.

use zhicha_engine::CreditCode;

/// The header of the built-in mapping's columns.
pub const HEADER: &str = "单位名称,统一社会信用代码,行业代码,行政区划,参保人数,职工人数,地址";

const INDUSTRIES: [&str; 6] = ["C2614", "C3130", "C3311", "B0610", "C2651", "E4790"];
const DISTRICTS: [&str; 3] = ["640202", "640205", "640221"];

/// The credit code of roster unit `n` (valid; no demo enterprise has it).
pub fn credit_code(n: usize) -> String {
    CreditCode::with_check(&format!("91640200RT{n:07}")).expect("a valid code").to_string()
}

/// The code of unit `n` with a wrong check character.
pub fn bad_credit_code(n: usize) -> String {
    let good = credit_code(n);
    let last = good.chars().last().unwrap_or('0');
    let wrong = if last == '1' { '2' } else { '1' };
    format!("{}{wrong}", &good[..17])
}

/// The name of roster unit `n`.
pub fn name(n: usize) -> String {
    format!("石嘴山名单测试{n}号有限公司")
}

/// A roster CSV (UTF-8) of units `first..first + rows`; the units whose index (from 0
/// within the file) is in `bad` carry a wrong check character. Unit `i` is on file line
/// `i + 2`.
pub fn csv(first: usize, rows: usize, bad: &[usize]) -> String {
    let mut out = String::from(HEADER);
    out.push('\n');
    for i in 0..rows {
        let n = first + i;
        let code = if bad.contains(&i) { bad_credit_code(n) } else { credit_code(n) };
        let insured = 10 + (n * 37) % 490;
        out.push_str(&format!(
            "{},{code},{},{},{insured},{},石嘴山市测试路{n}号\n",
            name(n),
            INDUSTRIES[n % INDUSTRIES.len()],
            DISTRICTS[n % DISTRICTS.len()],
            insured + n % 20,
        ));
    }
    out
}

/// A multipart/form-data body of text `fields` and one `file` part: the content type
/// (with its boundary) and the bytes.
pub fn form(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = format!("----zhichaform{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// `POST /gov/imports` with `fields` (`kind`, `profile`, `mapping`) and the file:
/// status and JSON body.
pub async fn upload(
    app: &crate::TestApp,
    token: &str,
    fields: &[(&str, &str)],
    file_name: &str,
    file: &[u8],
) -> (u16, serde_json::Value) {
    let (content_type, body) = form(fields, file_name, file);
    let res = app
        .client
        .post(app.url("/gov/imports"))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .expect("the upload");
    let status = res.status().as_u16();
    (status, res.json().await.expect("a JSON answer"))
}

/// Polls `GET /gov/imports/{id}` until its status is `done` or `failed` (at most a
/// minute) and returns the feed.
pub async fn wait(app: &crate::TestApp, token: &str, id: i64) -> serde_json::Value {
    for _ in 0..600 {
        let res = app.client.get(app.url(&format!("/gov/imports/{id}"))).bearer_auth(token).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let feed: serde_json::Value = res.json().await.unwrap();
        if feed["status"] == "done" || feed["status"] == "failed" {
            return feed;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("import {id} did not finish within a minute");
}
