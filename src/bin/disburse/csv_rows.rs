//! CSV rows to payout requests, each with its line number; a bad row is an error for that row
//! only.

use std::fs::File;
use std::path::Path;

use disburse::{
    CallbackUrl, Country, Currency, Destination, Error, Money, Msisdn, PayoutRequest, Reference,
};

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

/// One data row, parsed or not.
pub struct Row {
    /// The line of the file the row starts on (the header is line 1).
    pub line: u64,
    /// The row's reference as written, when it has one (even if the row is otherwise bad).
    pub reference: Option<String>,
    pub request: Result<PayoutRequest, String>,
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
    default_callback: Option<String>,
    record: csv::StringRecord,
}

impl Rows {
    /// Opens `path` and checks its header. Errors here concern the whole file.
    pub fn open(path: &Path, default_callback: Option<String>) -> Result<Rows, String> {
        let file = File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(file);
        let header = reader
            .headers()
            .map_err(|e| format!("cannot read the header of {}: {e}", path.display()))?
            .clone();
        let columns = Columns::from_header(&header)?;
        Ok(Rows {
            reader,
            columns,
            default_callback,
            record: csv::StringRecord::new(),
        })
    }
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
                let request = parse(&self.columns, &field, self.default_callback.as_deref());
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
    default_callback: Option<&str>,
) -> Result<PayoutRequest, String> {
    let required =
        |index: usize, name: &str| field(Some(index)).ok_or(format!("`{name}` is empty"));
    let reference = Reference::new(required(columns.reference, REFERENCE)?).map_err(text)?;
    let currency: Currency = required(columns.currency, CURRENCY)?
        .parse()
        .map_err(|_| format!("`{CURRENCY}` is not a supported ISO 4217 code"))?;
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
    request.callback_url = match field(columns.callback_url).or(default_callback) {
        Some(url) => Some(CallbackUrl::parse(url).map_err(text)?),
        None => None,
    };
    Ok(request)
}

fn text(error: impl Into<Error>) -> String {
    error.into().to_string()
}
