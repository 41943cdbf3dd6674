//! The account holders of the sandbox's EcoCash numbers: the same number always gets the same
//! name, in `validate`'s recipient and in a payout's `recipient_name`. A leaf.

const FIRST_NAMES: [&str; 6] = ["Tendai", "Rutendo", "Farai", "Tatenda", "Nyasha", "Chipo"];
const LAST_NAMES: [&str; 6] = ["Moyo", "Ncube", "Sibanda", "Dube", "Mpofu", "Chikore"];

/// The account holder's first and last name: the same number always gets the same name.
pub(crate) fn names(number: &str) -> (&'static str, &'static str) {
    let seed: usize = number
        .bytes()
        .map(|b| usize::from(b.saturating_sub(b'0')))
        .sum();
    (
        FIRST_NAMES[seed % FIRST_NAMES.len()],
        LAST_NAMES[(seed / 2) % LAST_NAMES.len()],
    )
}

/// The account holder's full name, as a payout's `recipient_name` shows it.
pub(crate) fn recipient_name(number: &str) -> String {
    let (first, last) = names(number);
    format!("{first} {last}")
}
