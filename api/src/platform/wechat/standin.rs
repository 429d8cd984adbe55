//! The demo stand-in: answers without WeChat, for the demo city and local work.
//!
//! - `demo-<name>` signs in as openid `demo-openid-demo-<name>`: the demo seed gives
//!   its officers `demo-officer-eNN`, responsible persons `demo-rp-eNN-1` / `-2` and
//!   experts `demo-expert-NN` (in the order of `city.toml`);
//!   any other name is a new, unbound WeChat user (to try binding codes).
//! - `demo-phone-<11 digits>` is a phone-number code for that number.

use super::{Identity, WechatError};

/// The openid the stand-in gives a demo code.
pub fn openid_of(code: &str) -> String {
    format!("demo-openid-{code}")
}

fn well_formed(code: &str) -> bool {
    code.len() <= 64 && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub fn identify(code: &str) -> Result<Identity, WechatError> {
    // Same errcode WeChat gives a wrong code.
    if !code.starts_with("demo-") || code.starts_with("demo-phone-") || !well_formed(code) {
        return Err(WechatError::InvalidCode(40029));
    }
    Ok(Identity { openid: openid_of(code), unionid: None })
}

pub fn phone_number(code: &str) -> Result<String, WechatError> {
    match code.strip_prefix("demo-phone-") {
        Some(n) if n.len() == 11 && n.starts_with('1') && n.bytes().all(|b| b.is_ascii_digit()) => Ok(n.to_string()),
        _ => Err(WechatError::InvalidCode(40029)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_codes_sign_in_and_others_do_not() {
        assert_eq!(identify("demo-officer-e01").ok().map(|i| i.openid), Some("demo-openid-demo-officer-e01".into()));
        assert!(matches!(identify("071abcXYZ"), Err(WechatError::InvalidCode(40029))));
        assert!(identify("demo-phone-13800000000").is_err(), "a phone code is not a login code");
        assert!(identify("demo-a b").is_err());
        assert_eq!(phone_number("demo-phone-13952001234").ok(), Some("13952001234".into()));
        assert!(phone_number("demo-phone-1395200123").is_err());
    }
}
