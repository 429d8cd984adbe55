//! HTTP routes: thin handlers that parse, call one service and shape the answer.
//! Resources are registered with their methods so that a wrong method gets 405.

pub mod admin;
pub mod auth;
pub mod binding;
pub mod codes;
pub mod docs;
pub mod enterprises;
pub mod expert;
pub mod findings;
pub mod governance;
pub mod health;
pub mod inspections;
pub mod mp;
pub mod paging;
pub mod recommend;
pub mod risk;
pub mod sync;

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::idempotency;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/healthz").route(web::get().to(health::healthz)))
        .service(web::resource("/readyz").route(web::get().to(health::readyz)))
        .service(web::resource("/openapi.yaml").route(web::get().to(docs::spec_yaml)))
        .service(docs::scalar())
        .service(
            web::scope("/auth")
                .service(web::resource("/login").route(web::post().to(auth::login)))
                .service(web::resource("/refresh").route(web::post().to(auth::refresh)))
                .service(web::resource("/logout").route(web::post().to(auth::logout)))
                .service(web::resource("/me").route(web::get().to(auth::me))),
        )
        .service(
            web::scope("/gov")
                .service(web::resource("/enterprises").route(web::get().to(enterprises::list)))
                .service(web::resource("/enterprises/{id}").route(web::get().to(enterprises::get)))
                .service(web::resource("/enterprises/{id}/binding-codes").route(web::post().to(binding::issue)))
                .service(web::resource("/enterprises/{id}/risk").route(web::get().to(risk::of_enterprise)))
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
                .service(web::resource("/escalations").route(web::get().to(governance::own)))
                .service(web::resource("/bind").route(web::post().to(mp::bind)))
                .service(web::resource("/me/phone").route(web::post().to(mp::phone)))
                .service(web::resource("/me/subscriptions").route(web::post().to(mp::subscribe)))
                .service(web::resource("/invites").route(web::post().to(mp::invite)))
                .service(web::resource("/people").route(web::get().to(mp::people_list)))
                .service(web::resource("/people/{id}/phone").route(web::get().to(mp::person_phone))),
        )
        .service(web::scope("/expert").service(web::resource("/tasks").route(web::get().to(expert::tasks))))
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
