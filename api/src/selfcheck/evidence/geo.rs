//! Positions and great-circle distances.

use serde::Serialize;

/// Mean Earth radius (IUGG), in metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A WGS 84 position in decimal degrees, checked to be on the globe.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

impl GeoPoint {
    /// `None` unless -90 ≤ lat ≤ 90 and -180 ≤ lon ≤ 180 (and both are numbers).
    pub fn new(lat: f64, lon: f64) -> Option<Self> {
        ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some(Self { lat, lon })
    }

    pub fn lat(self) -> f64 {
        self.lat
    }

    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Haversine distance in metres (a sphere: within 0.5% of the ellipsoid).
    pub fn distance_m(self, other: GeoPoint) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint::new(lat, lon).unwrap()
    }

    #[test]
    fn only_points_on_the_globe() {
        assert!(GeoPoint::new(91.0, 0.0).is_none());
        assert!(GeoPoint::new(0.0, -180.5).is_none());
        assert!(GeoPoint::new(f64::NAN, 0.0).is_none());
        assert!(GeoPoint::new(-90.0, 180.0).is_some());
    }

    #[test]
    fn haversine_distances() {
        // One degree of latitude is 111.2 km on the mean sphere.
        assert!((p(39.0, 106.0).distance_m(p(40.0, 106.0)) - 111_195.0).abs() < 5.0);
        // 石嘴山 to 银川, centre to centre: about 57 km.
        let d = p(38.9839, 106.3840).distance_m(p(38.4872, 106.2309));
        assert!((d - 56_700.0).abs() < 1_000.0, "{d}");
        assert_eq!(p(10.0, 20.0).distance_m(p(10.0, 20.0)), 0.0);
        // Antipodes: half the circumference, no NaN from rounding.
        let half = p(0.0, 0.0).distance_m(p(0.0, 180.0));
        assert!((half - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1.0);
        // Across the antimeridian.
        assert!(p(0.0, 179.9995).distance_m(p(0.0, -179.9995)) < 120.0);
    }
}
