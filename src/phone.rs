//! Temporary stub: replaced by the real module.
#![allow(missing_docs, dead_code)]
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Country {
    Kenya,
    Zimbabwe,
    Zambia,
    Nigeria,
    Ghana,
    Uganda,
    Tanzania,
    Rwanda,
}
impl Country {
    pub fn calling_code(self) -> &'static str {
        match self {
            Country::Kenya => "254",
            Country::Zimbabwe => "263",
            Country::Zambia => "260",
            Country::Nigeria => "234",
            Country::Ghana => "233",
            Country::Uganda => "256",
            Country::Tanzania => "255",
            Country::Rwanda => "250",
        }
    }
    pub fn iso_alpha2(self) -> &'static str {
        match self {
            Country::Kenya => "KE",
            Country::Zimbabwe => "ZW",
            Country::Zambia => "ZM",
            Country::Nigeria => "NG",
            Country::Ghana => "GH",
            Country::Uganda => "UG",
            Country::Tanzania => "TZ",
            Country::Rwanda => "RW",
        }
    }
}
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Network {
    Safaricom,
    Airtel,
    Telkom,
    Econet,
    NetOne,
    Telecel,
}
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Msisdn {
    digits: String,
    country: Option<Country>,
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad phone")]
pub struct PhoneError;
impl Msisdn {
    pub fn parse(input: &str) -> Result<Msisdn, PhoneError> {
        let d: String = input.chars().filter(|c| c.is_ascii_digit()).collect();
        let country = [Country::Kenya, Country::Zimbabwe, Country::Zambia]
            .into_iter()
            .find(|c| d.starts_with(c.calling_code()));
        Ok(Msisdn { digits: d, country })
    }
    pub fn parse_with_default(input: &str, _c: Country) -> Result<Msisdn, PhoneError> {
        Self::parse(input)
    }
    pub fn e164(&self) -> String {
        format!("+{}", self.digits)
    }
    pub fn digits(&self) -> &str {
        &self.digits
    }
    pub fn national_number(&self) -> &str {
        &self.digits[3..]
    }
    pub fn country(&self) -> Option<Country> {
        self.country
    }
    pub fn network(&self) -> Option<Network> {
        match &self.digits[..5] {
            "26377" | "26378" | "26379" => Some(Network::Econet),
            "26371" => Some(Network::NetOne),
            "25471" | "25470" => Some(Network::Safaricom),
            "25473" => Some(Network::Airtel),
            "25477" => Some(Network::Telkom),
            _ => None,
        }
    }
    pub fn masked(&self) -> String {
        format!("+{}*****", &self.digits[..4])
    }
}
impl std::fmt::Display for Msisdn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.e164())
    }
}
