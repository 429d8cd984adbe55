//! What the client says about a photo: which record it belongs to and when and where
//! it was taken, parsed once at the edge into checked values.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::selfcheck::evidence::GeoPoint;
use crate::store::{findings, inspections, scope};

/// The record a photo is evidence for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OwnerKind {
    Finding,
    InspectionItem,
}

impl OwnerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Finding => "finding",
            Self::InspectionItem => "inspection_item",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Finding, Self::InspectionItem].into_iter().find(|k| k.as_str() == s)
    }
}

/// When in the hazard's life the photo was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Before,
    Progress,
    After,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Before => "before",
            Self::Progress => "progress",
            Self::After => "after",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Before, Self::Progress, Self::After].into_iter().find(|p| p.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The phone's id for this photo, lowercase hyphenated UUID.
    pub client_id: String,
    pub owner_kind: OwnerKind,
    pub owner_id: i64,
    pub phase: Phase,
    pub captured_at: Option<DateTime<Utc>>,
    pub position: Option<GeoPoint>,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(ErrorCode::InvalidField, field, message)
}

pub fn client_id(raw: &str) -> Result<String, ApiError> {
    Uuid::parse_str(raw.trim())
        .map(|u| u.as_hyphenated().to_string())
        .map_err(|_| invalid("client_id", "client_id: the photo's UUID, generated on the phone"))
}

pub fn position(latitude: Option<f64>, longitude: Option<f64>) -> Result<Option<GeoPoint>, ApiError> {
    match (latitude, longitude) {
        (None, None) => Ok(None),
        (Some(lat), Some(lon)) => GeoPoint::new(lat, lon)
            .map(Some)
            .ok_or_else(|| invalid("latitude", "latitude -90..90 and longitude -180..180 (WGS 84 degrees)")),
        (Some(_), None) => Err(invalid("longitude", "longitude is required with latitude")),
        (None, Some(_)) => Err(invalid("latitude", "latitude is required with longitude")),
    }
}

pub fn rfc3339(field: &str, raw: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| invalid(field, format!("{field}: an RFC 3339 time such as 2026-03-14T09:26:53+08:00")))
}

impl Claim {
    /// 404 naming `owner_id` unless the owner is a record of `enterprise_id` the caller
    /// sees: a responsible person photographs only the findings assigned to them, and
    /// no round's checklist items (the officer's).
    pub async fn check_owner(
        &self,
        db: &impl ConnectionTrait,
        caller: &Caller,
        enterprise_id: i64,
    ) -> Result<(), ApiError> {
        let found = match self.owner_kind {
            OwnerKind::Finding => findings::is_visible(db, caller, enterprise_id, self.owner_id).await?,
            OwnerKind::InspectionItem => {
                !scope::assignee_only(caller)
                    && inspections::item_of_enterprise(db, enterprise_id, self.owner_id).await?
            }
        };
        if !found {
            return Err(ApiError::field(
                ErrorCode::NotFound,
                "owner_id",
                format!("{} {} not found", self.owner_kind.as_str(), self.owner_id),
            ));
        }
        Ok(())
    }
}
