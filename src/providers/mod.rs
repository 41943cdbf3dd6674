//! One adapter per provider. Provider knowledge lives in its adapter and nowhere else.

pub mod jpay;
pub mod mpesa_daraja;
pub mod mtn_momo;
pub mod payonify;
pub mod vesicash;
