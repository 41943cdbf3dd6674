//! The three simulated providers, as a closed enum for internal dispatch.

use crate::model::ProviderId;

/// One of the simulated providers. The public API names providers by [`ProviderId`]; this enum
/// lets the sandbox match exhaustively inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ProviderKind {
    Vesicash,
    Jpay,
    Payonify,
    MtnMomo,
}

impl ProviderKind {
    pub(crate) const ALL: [ProviderKind; 4] = [
        ProviderKind::Vesicash,
        ProviderKind::Jpay,
        ProviderKind::Payonify,
        ProviderKind::MtnMomo,
    ];

    pub(crate) fn id(self) -> ProviderId {
        match self {
            ProviderKind::Vesicash => ProviderId::VESICASH,
            ProviderKind::Jpay => ProviderId::JPAY,
            ProviderKind::Payonify => ProviderId::PAYONIFY,
            ProviderKind::MtnMomo => ProviderId::MTN_MOMO,
        }
    }

    /// The simulated provider for `id`; `None` for a provider the sandbox does not simulate.
    pub(crate) fn from_id(id: ProviderId) -> Option<ProviderKind> {
        ProviderKind::ALL.into_iter().find(|k| k.id() == id)
    }

    /// The path prefix the provider is served under (its base URL's path).
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            ProviderKind::Vesicash => "/vesicash",
            ProviderKind::Jpay => "/jpay/api/v1",
            ProviderKind::Payonify => "/payonify",
            ProviderKind::MtnMomo => "/mtn_momo",
        }
    }
}
