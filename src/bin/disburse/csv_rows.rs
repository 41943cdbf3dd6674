//! CSV rows to payout requests, each with its line number; a bad row is an error for that row
//! only.

use std::fs::File;
use std::path::Path;

use disburse::{
    CallbackUrl, Country, Currency, Destination, Error, Money, Msisdn, PayoutRequest, Reference,
};

use crate::args::ProviderName;

/// The columns, by header name (any case, surrounding spaces ignored).
const REFERENCE: &str = "reference";
const AMOUNT: &str = "amount";
const CURRENCY: &str = "currency";
const MSISDN: &str = "msisdn";
const BANK_CODE: &str = "bank_code";
const ACCOUNT_NUMBER: &str = "account_number";
const COUNTRY: &str = "country";
const NARRATION: &str = "narration";
const CHANNEL: &str = "channel";
const CALLBACK_URL: &str = "callback_url";
const PROVIDER: &str = "provider";

/// Every column name, to tell a header from a data row.
const KNOWN: [&str; 11] = [
    REFERENCE,
    AMOUNT,
    CURRENCY,
    MSISDN,
    BANK_CODE,
    ACCOUNT_NUMBER,
    COUNTRY,
    NARRATION,
    CHANNEL,
    CALLBACK_URL,
    PROVIDER,
];

/// One data row, parsed or not.
pub struct Row {
    /// The line of the file the row starts on (the header is line 1).
    pub line: u64,
    /// The row's reference as written, when it has one (even if the row is otherwise bad).
    pub reference: Option<String>,
    /// The request and the provider it goes to, or why the row is invalid.
    pub request: Result<(ProviderName, PayoutRequest), String>,
}

/// Where each column is.
struct Columns {
    reference: usize,
    amount: usize,
    currency: usize,
    msisdn: Option<usize>,
    bank_code: Option<usize>,
    account_number: Option<usize>,
    country: Option<usize>,
    narration: Option<usize>,
    channel: Option<usize>,
    callback_url: Option<usize>,
    provider: Option<usize>,
}

impl Columns {
    fn from_header(header: &csv::StringRecord) -> Result<Columns, String> {
        let find = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        let need =
            |name: &str| find(name).ok_or_else(|| format!("the header has no `{name}` column"));
        let columns = Columns {
            reference: need(REFERENCE)?,
            amount: need(AMOUNT)?,
            currency: need(CURRENCY)?,
            msisdn: find(MSISDN),
            bank_code: find(BANK_CODE),
            account_number: find(ACCOUNT_NUMBER),
            country: find(COUNTRY),
            narration: find(NARRATION),
            channel: find(CHANNEL),
            callback_url: find(CALLBACK_URL),
            provider: find(PROVIDER),
        };
        if columns.msisdn.is_none() && columns.account_number.is_none() {
            return Err(format!(
                "the header needs a `{MSISDN}` column or `{BANK_CODE}`, `{ACCOUNT_NUMBER}` and `{COUNTRY}` columns"
            ));
        }
        Ok(columns)
    }
}

/// Reads the rows of a CSV file lazily: memory does not grow with the file.
pub struct Rows {
    reader: csv::Reader<File>,
    columns: Columns,
    default_provider: Option<ProviderName>,
    record: csv::StringRecord,
}

impl Rows {
    /// Opens `path` and checks its header. Errors here concern the whole file.
    pub fn open(path: &Path, default_provider: Option<ProviderName>) -> Result<Rows, String> {
        let name = path.display();
        let file = File::open(path).map_err(|e| format!("cannot open {name}: {e}"))?;
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
        let header = reader
            .headers()
            .map_err(|e| format!("cannot read the header of {name}: {e}"))?
            .clone();
        check_header(&name.to_string(), &header)?;
        let columns = Columns::from_header(&header)?;
        Ok(Rows {
            reader,
            columns,
            default_provider,
            record: csv::StringRecord::new(),
        })
    }
}

/// A whole-file problem with the header: an empty file, another delimiter, no header at all.
fn check_header(name: &str, header: &csv::StringRecord) -> Result<(), String> {
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(format!(
            "{name} is empty: expected a header row naming the columns \
             (reference,amount,currency,msisdn) and one payout per row"
        ));
    }
    if header.len() == 1 {
        let only = &header[0];
        if let Some(delimiter) = [';', '\t', '|'].into_iter().find(|d| only.contains(*d)) {
            let shown = if delimiter == '\t' {
                "tabs".to_owned()
            } else {
                format!("`{delimiter}`")
            };
            return Err(format!(
                "{name}: the header is a single column; fields must be separated by commas, \
                 and this file seems to use {shown}"
            ));
        }
    }
    let known = header
        .iter()
        .any(|h| KNOWN.iter().any(|k| h.trim().eq_ignore_ascii_case(k)));
    if !known {
        let line: Vec<&str> = header.iter().collect();
        return Err(format!(
            "{name}: the first line is not a header (`{}`); the first line must name the \
             columns: reference, amount, currency, and msisdn or bank_code, account_number, \
             country",
            line.join(",")
        ));
    }
    Ok(())
}

impl Iterator for Rows {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        match self.reader.read_record(&mut self.record) {
            Ok(false) => None,
            Ok(true) => {
                let line = self.record.position().map_or(0, |p| p.line());
                let field = |i: Option<usize>| {
                    i.and_then(|i| self.record.get(i))
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                };
                let reference = field(Some(self.columns.reference)).map(str::to_owned);
                let request = parse(&self.columns, &field).and_then(|request| {
                    let provider = match field(self.columns.provider) {
                        Some(cell) => ProviderName::parse(cell).ok_or_else(|| {
                            format!(
                                "`{PROVIDER}` {cell:?} is not one of vesicash, jpay, payonify, \
                                 mtn_momo, mpesa_daraja"
                            )
                        })?,
                        None => self.default_provider.ok_or_else(|| {
                            format!("no provider: set the `{PROVIDER}` column or --provider")
                        })?,
                    };
                    Ok((provider, request))
                });
                Some(Row {
                    line,
                    reference,
                    request,
                })
            }
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line());
                // The reader has moved past the bad record; go on with the next one.
                Some(Row {
                    line,
                    reference: None,
                    request: Err(format!("unreadable CSV: {error}")),
                })
            }
        }
    }
}

fn parse<'a>(
    columns: &Columns,
    field: &impl Fn(Option<usize>) -> Option<&'a str>,
) -> Result<PayoutRequest, String> {
    let required =
        |index: usize, name: &str| field(Some(index)).ok_or(format!("`{name}` is empty"));
    let reference = Reference::new(required(columns.reference, REFERENCE)?).map_err(text)?;
    let code = required(columns.currency, CURRENCY)?;
    let currency: Currency = code
        .parse()
        .map_err(|_| format!("`{CURRENCY}` {code:?} is not a supported ISO 4217 code"))?;
    let amount = Money::parse(required(columns.amount, AMOUNT)?, currency).map_err(text)?;
    let country = match field(columns.country) {
        Some(code) => Some(
            Country::from_iso_alpha2(code)
                .ok_or_else(|| format!("`{COUNTRY}` {code:?} is not a supported country"))?,
        ),
        None => None,
    };
    let destination = match (field(columns.msisdn), field(columns.account_number)) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "both `{MSISDN}` and `{ACCOUNT_NUMBER}` are set; a row pays one destination"
            ));
        }
        (Some(number), None) => {
            let msisdn = match country {
                Some(country) => Msisdn::parse_with_default(number, country),
                None => Msisdn::parse(number),
            }
            .map_err(text)?;
            Destination::mobile(msisdn)
        }
        (None, Some(account)) => {
            let country = country.ok_or(format!("a bank row needs `{COUNTRY}`"))?;
            let bank_code = field(columns.bank_code).ok_or(format!("`{BANK_CODE}` is empty"))?;
            Destination::bank(country, bank_code, account).map_err(text)?
        }
        (None, None) => {
            return Err(format!(
                "no destination: set `{MSISDN}`, or `{BANK_CODE}` and `{ACCOUNT_NUMBER}`"
            ));
        }
    };
    let mut request = PayoutRequest::new(reference, amount, destination);
    request.narration = field(columns.narration).map(str::to_owned);
    request.channel = field(columns.channel).map(str::to_owned);
    request.callback_url = match field(columns.callback_url) {
        Some(url) => Some(CallbackUrl::parse(url).map_err(text)?),
        None => None,
    };
    Ok(request)
}

fn text(error: impl Into<Error>) -> String {
    error.into().to_string()
}
