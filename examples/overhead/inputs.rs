//! The payouts both arms send: the same inputs, so the same bytes on the wire.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Jpay,
    Vesicash,
    Payonify,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Jpay => "jpay",
            Provider::Vesicash => "vesicash",
            Provider::Payonify => "payonify",
        }
    }
}

pub const JPAY_APP_KEY: &str = "bench-app-key";
pub const JPAY_APP_SECRET: &str = "bench-app-secret";
pub const JPAY_CALLBACK_SECRET: &str = "bench-callback-secret";
pub const JPAY_CALLBACK: &str = "https://merchant.example.com/hooks/jpay";
pub const VESICASH_SECRET_KEY: &str = "v_sk_bench";
pub const VESICASH_PUBLIC_KEY: &str = "v_pk_bench";
pub const VESICASH_WEBHOOK: &str = "https://merchant.example.com/hooks/vesicash";
pub const PAYONIFY_PUBLISHABLE: &str = "pk_test_bench";
pub const PAYONIFY_SECRET: &str = "sk_test_bench";
/// The reference of payout 0, whose request the server keeps for the byte comparison.
pub const FIRST_REFERENCE: &str = "bench-0000000";

/// One payout's inputs, as a merchant's system would hold them.
pub struct Input {
    pub reference: String,
    pub amount: &'static str,
    pub phone: &'static str,
    pub narration: &'static str,
}

pub fn payout(provider: Provider, index: usize) -> Input {
    let reference = format!("bench-{index:07}");
    match provider {
        Provider::Jpay => Input {
            reference,
            amount: "1000.00",
            phone: "+254712345678",
            narration: "Salary April",
        },
        Provider::Vesicash => Input {
            reference,
            amount: "150",
            phone: "+260999993000",
            narration: "Winnings payout",
        },
        Provider::Payonify => Input {
            reference,
            amount: "1.00",
            phone: "+263771111111",
            narration: "March stipend",
        },
    }
}
