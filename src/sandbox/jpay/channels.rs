//! The payment channels a payout can use, as data (`channel_list.rs` serves `GET /channels`).

use crate::phone::Network;

/// A channel: M-Pesa, Airtel Money, T-Kash or a bank.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Channel {
    pub(crate) code: u32,
    pub(crate) name: &'static str,
    pub(crate) bank: bool,
    pub(crate) active: bool,
}

impl Channel {
    pub(crate) fn type_code(&self) -> &'static str {
        if self.bank { "bank" } else { "mobile_money" }
    }

    pub(crate) fn type_display(&self) -> &'static str {
        if self.bank { "Bank" } else { "Mobile Money" }
    }
}

pub(crate) const MPESA: u32 = 63902;
pub(crate) const AIRTEL_MONEY: u32 = 63903;
pub(crate) const TKASH: u32 = 63907;

pub(crate) const CHANNELS: &[Channel] = &[
    Channel {
        code: MPESA,
        name: "M-Pesa",
        bank: false,
        active: true,
    },
    Channel {
        code: AIRTEL_MONEY,
        name: "Airtel Money",
        bank: false,
        active: true,
    },
    Channel {
        code: TKASH,
        name: "T-Kash",
        bank: false,
        active: true,
    },
    Channel {
        code: 1,
        name: "KCB Bank",
        bank: true,
        active: true,
    },
    Channel {
        code: 3,
        name: "Absa Bank Kenya",
        bank: true,
        active: true,
    },
    Channel {
        code: 7,
        name: "NCBA Bank",
        bank: true,
        active: true,
    },
    Channel {
        code: 11,
        name: "Co-operative Bank",
        bank: true,
        active: true,
    },
    Channel {
        code: 68,
        name: "Equity Bank",
        bank: true,
        active: true,
    },
    Channel {
        code: 70,
        name: "Family Bank",
        bank: true,
        active: false,
    },
];

pub(crate) fn channel(code: u32) -> Option<&'static Channel> {
    CHANNELS.iter().find(|c| c.code == code)
}

/// The mobile channel JPay infers from the carrier (M-Pesa when the carrier is unknown).
pub(crate) fn inferred(network: Option<Network>) -> u32 {
    match network {
        Some(Network::Airtel) => AIRTEL_MONEY,
        Some(Network::Telkom) => TKASH,
        _ => MPESA,
    }
}
