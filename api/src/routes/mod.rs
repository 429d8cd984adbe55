//! HTTP routes: thin handlers that parse, call one service and shape the answer.
//! Resources are registered with their methods so that a wrong method gets 405.

pub mod admin;
pub mod auth;
pub mod binding;
pub mod codes;
pub mod docs;
pub mod enterprises;
pub mod evidence;
pub mod expert;
pub mod health;
pub mod mp;
pub mod paging;
pub mod recommend;
pub mod risk;

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
                .service(web::resource("/evidence/{id}/display").route(web::get().to(evidence::gov_display)))
                .service(web::resource("/enterprises/{id}/targets").route(web::get().to(risk::gov_targets)))
                .service(web::resource("/enterprises/{id}/recommendations").route(web::get().to(recommend::gov_rounds)))
                .service(
                    web::resource("/enterprises/{id}/recommendations/{round_id}")
                        .route(web::get().to(recommend::gov_round)),
                ),
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
                .service(web::resource("/bind").route(web::post().to(mp::bind)))
                .service(web::resource("/me/phone").route(web::post().to(mp::phone)))
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
