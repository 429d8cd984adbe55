//! HTTP routes: thin handlers that parse, call one service and shape the answer.
//! Resources are registered with their methods so that a wrong method gets 405.

pub mod admin;
pub mod analysis;
pub mod auth;
pub mod binding;
pub mod codes;
pub mod dashboard;
pub mod docs;
pub mod enterprises;
pub mod evidence;
pub mod expert;
pub mod findings;
pub mod governance;
pub mod health;
pub mod inspections;
pub mod mp;
pub mod paging;
pub mod recommend;
pub mod reports;
pub mod risk;
pub mod sync;
pub mod tasks;

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::idempotency;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(web::resource("/readyz").route(web::get().to(health::readyz)))
        .service(web::resource("/openapi.yaml").route(web::get().to(docs::spec_yaml)))
        .service(docs::scalar())
        .configure(crate::page::configure)
        .service(
            web::scope("/auth")
                .service(web::resource("/login").route(web::post().to(auth::login)))
                .service(web::resource("/refresh").route(web::post().to(auth::refresh)))
                .service(web::resource("/logout").route(web::post().to(auth::logout)))
                .service(web::resource("/me").route(web::get().to(auth::me))),
        )
        .service(
            web::scope("/gov")
                .service(web::resource("/dashboard/summary").route(web::get().to(dashboard::summary)))
                .service(web::resource("/analysis/key-industries").route(web::get().to(analysis::key_industries)))
                .service(web::resource("/analysis/coverage").route(web::get().to(analysis::coverage)))
                .service(web::resource("/analysis/trends").route(web::get().to(analysis::trends)))
                .service(web::resource("/analysis/focus").route(web::get().to(analysis::focus)))
                .service(web::resource("/analysis/report").route(web::get().to(analysis::whole)))
                .service(web::resource("/analysis/report.pdf").route(web::get().to(analysis::report_pdf)))
                .service(web::resource("/analysis/report.xlsx").route(web::get().to(analysis::report_xlsx)))
                .service(web::resource("/dashboard/feedback").route(web::get().to(dashboard::feedback)))
                .service(web::resource("/dashboard/enterprises").route(web::get().to(dashboard::enterprises)))
                .service(web::resource("/tasks").route(web::get().to(expert::gov_tasks)))
                .service(web::resource("/tasks/{id}/complete").route(web::post().to(tasks::gov_complete)))
                .service(web::resource("/enterprises").route(web::get().to(enterprises::list)))
                .service(web::resource("/enterprises/{id}").route(web::get().to(enterprises::get)))
                .service(web::resource("/enterprises/{id}/binding-codes").route(web::post().to(binding::issue)))
                .service(web::resource("/enterprises/{id}/risk").route(web::get().to(risk::of_enterprise)))
                .service(web::resource("/evidence/{id}/display").route(web::get().to(evidence::gov_display)))
                .service(web::resource("/enterprises/{id}/targets").route(web::get().to(risk::gov_targets)))
                .service(web::resource("/enterprises/{id}/recommendations").route(web::get().to(recommend::gov_rounds)))
                .service(
                    web::resource("/enterprises/{id}/recommendations/{round_id}")
                        .route(web::get().to(recommend::gov_round)),
                )
                .service(web::resource("/enterprises/{id}/findings").route(web::get().to(findings::gov_list)))
                .service(
                    web::resource("/enterprises/{id}/findings/{finding_id}").route(web::get().to(findings::gov_get)),
                )
                .service(web::resource("/reports").route(web::get().to(reports::gov_list)))
                .service(web::resource("/reports/{id}").route(web::get().to(reports::gov_get)))
                .service(web::resource("/reports/{id}/pdf").route(web::get().to(reports::gov_pdf)))
                .service(web::resource("/reports/{id}/return").route(web::post().to(reports::gov_return)))
                .service(
                    web::resource("/enterprises/{id}/escalations")
                        .route(web::get().to(governance::of_enterprise))
                        .route(web::post().to(governance::escalate)),
                )
                .service(web::resource("/escalations").route(web::get().to(governance::list)))
                .service(web::resource("/escalations/{id}").route(web::get().to(governance::get)))
                .service(web::resource("/escalations/{id}/close").route(web::post().to(governance::close))),
        )
        .service(
            web::scope("/mp")
                .wrap(from_fn(idempotency::middleware))
                .service(web::resource("/auth/login").route(web::post().to(mp::login)))
                .service(web::resource("/enterprise").route(web::get().to(enterprises::own)))
                .service(web::resource("/risk").route(web::get().to(risk::own)))
                .service(web::resource("/targets").route(web::get().to(risk::own_targets)))
                .service(
                    web::resource("/recommendations")
                        .route(web::get().to(recommend::rounds))
                        .route(web::post().to(recommend::generate)),
                )
                .service(web::resource("/recommendations/{id}").route(web::get().to(recommend::round)))
                .service(web::resource("/recommendations/{id}/feedback").route(web::post().to(recommend::feedback)))
                .service(
                    web::resource("/inspections")
                        .route(web::get().to(inspections::list))
                        .route(web::post().to(inspections::start)),
                )
                .service(web::resource("/inspections/{id}").route(web::get().to(inspections::get)))
                .service(web::resource("/inspections/{id}/marks").route(web::post().to(inspections::mark)))
                .service(web::resource("/inspections/{id}/close").route(web::post().to(inspections::close)))
                .service(
                    web::resource("/findings")
                        .route(web::get().to(findings::list))
                        .route(web::post().to(findings::create)),
                )
                .service(web::resource("/findings/{id}").route(web::get().to(findings::get)))
                .service(web::resource("/findings/{id}/actions").route(web::post().to(findings::act)))
                .service(web::resource("/findings/{id}/progress").route(web::post().to(findings::progress)))
                .service(web::resource("/sync").route(web::get().to(sync::changes)))
                .service(web::resource("/tasks").route(web::get().to(tasks::own)))
                .service(web::resource("/tasks/{id}/complete").route(web::post().to(tasks::mp_complete)))
                .service(web::resource("/inspections/{id}/report").route(web::post().to(reports::generate)))
                .service(web::resource("/reports").route(web::get().to(reports::list)))
                .service(web::resource("/reports/{id}").route(web::get().to(reports::get)))
                .service(web::resource("/reports/{id}/pdf").route(web::get().to(reports::get_pdf)))
                .service(web::resource("/reports/{id}/submit").route(web::post().to(reports::submit)))
                .service(web::resource("/reports/{id}/revise").route(web::post().to(reports::revise)))
                .service(web::resource("/escalations").route(web::get().to(governance::own)))
                .service(web::resource("/bind").route(web::post().to(mp::bind)))
                .service(web::resource("/me/phone").route(web::post().to(mp::phone)))
                .service(web::resource("/me/subscriptions").route(web::post().to(mp::subscribe)))
                .service(web::resource("/invites").route(web::post().to(mp::invite)))
                .service(web::resource("/people").route(web::get().to(mp::people_list)))
                .service(web::resource("/people/{id}/phone").route(web::get().to(mp::person_phone)))
                // Before `/evidence/{id}`, which would otherwise take `uploads`.
                .service(web::resource("/evidence/uploads").route(web::post().to(evidence::begin_upload)))
                .service(web::resource("/evidence/uploads/{id}/commit").route(web::post().to(evidence::commit_upload)))
                .service(web::resource("/evidence").route(web::post().to(evidence::upload)))
                .service(web::resource("/evidence/{id}").route(web::get().to(evidence::get)))
                .service(web::resource("/evidence/{id}/display").route(web::get().to(evidence::display)))
                .service(web::resource("/evidence/{id}/original").route(web::get().to(evidence::original))),
        )
        .service(
            web::scope("/expert")
                .wrap(from_fn(idempotency::middleware))
                .service(web::resource("/tasks").route(web::get().to(expert::tasks)))
                .service(web::resource("/tasks/{id}").route(web::get().to(expert::task)))
                .service(web::resource("/tasks/{id}/accept").route(web::post().to(expert::accept)))
                .service(web::resource("/tasks/{id}/decline").route(web::post().to(expert::decline)))
                .service(web::resource("/tasks/{id}/checkin").route(web::post().to(expert::checkin)))
                .service(web::resource("/tasks/{id}/findings").route(web::post().to(expert::finding)))
                .service(web::resource("/tasks/{id}/report").route(web::post().to(expert::report)))
                .service(web::resource("/tasks/{id}/follow-up").route(web::post().to(expert::follow_up))),
        )
        .service(
            web::scope("/admin")
                .service(web::resource("/users").route(web::get().to(admin::users)))
                .service(web::resource("/users/{id}/unlock").route(web::post().to(admin::unlock)))
                .service(web::resource("/audit").route(web::get().to(admin::audit_trail)))
                .service(web::resource("/rules").route(web::get().to(admin::rules))),
        )
        .service(
            web::scope("/v1")
                .service(web::resource("/codes/crosswalk").route(web::post().to(codes::crosswalk)))
                .service(web::resource("/codes/{table}").route(web::get().to(codes::list))),
        );
}
