//! JPay's payment channels (`GET /channels`), typed.

use super::wire::ChannelWire;

/// The kind of a channel.
///
/// On the wire JPay's `type` is assumed to be `mobile_money` or `bank` (its `type_display` reads
/// "Mobile Money" / "Bank"); either form is recognised, and any other word is kept.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChannelType {
    /// A mobile-money wallet network (M-Pesa, Airtel Money, T-Kash).
    MobileMoney,
    /// A bank.
    Bank,
    /// A type this crate does not know, as JPay wrote it.
    Unknown(String),
}

impl ChannelType {
    /// The value of the `type` query parameter.
    pub fn as_str(&self) -> &str {
        match self {
            ChannelType::MobileMoney => "mobile_money",
            ChannelType::Bank => "bank",
            ChannelType::Unknown(word) => word,
        }
    }

    fn from_wire(word: &str) -> ChannelType {
        let normalized: String = word
            .trim()
            .chars()
            .map(|c| match c {
                ' ' | '-' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        match normalized.as_str() {
            "mobile_money" | "mobile" | "momo" => ChannelType::MobileMoney,
            "bank" => ChannelType::Bank,
            _ => ChannelType::Unknown(word.to_owned()),
        }
    }
}

/// One payment channel: a code to put in a payout's `channel`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// The channel code (`63902` M-Pesa, `68` Equity Bank).
    pub code: u32,
    /// The channel's name ("M-Pesa", "Equity Bank").
    pub name: String,
    /// Its kind.
    pub kind: ChannelType,
    /// JPay's display name of the kind ("Mobile Money").
    pub kind_display: Option<String>,
    /// Whether the channel takes payouts now (`true` when JPay does not say).
    pub active: bool,
}

impl From<ChannelWire> for Channel {
    fn from(wire: ChannelWire) -> Channel {
        let kind = match (&wire.kind, &wire.type_display) {
            (Some(kind), _) => ChannelType::from_wire(kind),
            (None, Some(display)) => ChannelType::from_wire(display),
            (None, None) => ChannelType::Unknown(String::new()),
        };
        Channel {
            code: wire.code,
            name: wire.name,
            kind,
            kind_display: wire.type_display,
            active: wire.is_active.unwrap_or(true),
        }
    }
}

/// Which channels to list, and which page.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelQuery {
    /// Only channels of this kind (`type=`); all kinds when `None`.
    pub kind: Option<ChannelType>,
    /// Only active channels (`active_only=`); JPay's default when `None`.
    pub active_only: Option<bool>,
    /// The page, from 1.
    pub page: u32,
    /// Channels per page (at least 1).
    pub page_size: u32,
}

impl Default for ChannelQuery {
    fn default() -> Self {
        ChannelQuery {
            kind: None,
            active_only: None,
            page: 1,
            page_size: 50,
        }
    }
}

impl ChannelQuery {
    /// Every channel, 50 per page, from page 1.
    pub fn new() -> ChannelQuery {
        ChannelQuery::default()
    }
}

crate::config::setters! { ChannelQuery {
    /// Only channels of `kind`.
    kind(kind: ChannelType) => kind = Some(kind);
    /// Only active (or only inactive) channels.
    active_only(active_only: bool) => active_only = Some(active_only);
    /// The page, from 1.
    page(page: u32) => page = page;
    /// Channels per page.
    page_size(page_size: u32) => page_size = page_size;
}}

/// One page of channels.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelPage {
    /// The channels on this page.
    pub channels: Vec<Channel>,
    /// This page's number.
    pub page: u32,
    /// Whether a further page follows.
    pub has_more: bool,
    /// How many channels match in all, where JPay says.
    pub total: Option<u64>,
}
