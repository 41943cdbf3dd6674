//! `disburse payout` and `disburse status`: one payout at a time.

use std::process::ExitCode;
use std::time::Duration;

use disburse::settle::Wait;
use disburse::{
    CallbackUrl, Country, Currency, Destination, Error, Money, Msisdn, PayoutRequest, Reference,
};

use crate::args::{PayoutArgs, StatusArgs, TargetArgs};
use crate::exit;
use crate::output::{payout_json, with_cause};
use crate::target::Target;

/// Sends one payout; prints its record (and, with `--wait`, its final record).
pub async fn payout(args: PayoutArgs) -> Result<ExitCode, Error> {
    let target = Target::connect(&args.target).await?;
    let callback = args
        .callback_url
        .clone()
        .or_else(|| target.default_callback());
    let request = request(&args, callback)?;
    let created = match target.provider.create_payout(&request).await {
        Ok(payout) => payout,
        Err(error) => {
            eprintln!("disburse: {}", with_cause(&error));
            return Ok(ExitCode::from(code_of(&error)));
        }
    };
    let payout = match args.wait {
        None => created,
        Some(seconds) => {
            let wait = Wait::new()
                .timeout(Duration::from_secs(seconds))
                .first_delay(Duration::from_millis(500))
                .max_delay(Duration::from_secs(10));
            match target.provider.await_final(&created, &wait).await {
                Ok(outcome) => outcome.into_payout(),
                Err(error) => {
                    println!("{}", payout_json(&created));
                    eprintln!("disburse: waiting failed: {}", with_cause(&error));
                    return Ok(ExitCode::from(exit::PENDING));
                }
            }
        }
    };
    println!("{}", payout_json(&payout));
    Ok(ExitCode::from(match payout.status.word() {
        "failed" if args.wait.is_some() => exit::FAILED,
        "succeeded" | "failed" => exit::OK,
        _ if args.wait.is_some() => exit::PENDING,
        _ => exit::OK,
    }))
}

/// The exit code of a payout that could not be created.
fn code_of(error: &Error) -> u8 {
    if error.is_outcome_unknown() {
        exit::UNKNOWN
    } else if matches!(error, Error::NotSent { .. }) {
        exit::PENDING
    } else {
        exit::FAILED
    }
}

fn request(args: &PayoutArgs, callback: Option<String>) -> Result<PayoutRequest, Error> {
    let currency: Currency = args.currency.parse().map_err(|_| {
        Error::invalid(
            "currency",
            format!("{:?} is not a supported ISO 4217 code", args.currency),
        )
    })?;
    let country = match &args.country {
        Some(code) => Some(
            Country::from_iso_alpha2(code)
                .ok_or_else(|| Error::invalid("country", "is not a supported country"))?,
        ),
        None => None,
    };
    let destination = match (&args.to, &args.account) {
        (Some(number), _) => Destination::mobile(match country {
            Some(country) => Msisdn::parse_with_default(number, country)?,
            None => Msisdn::parse(number)?,
        }),
        (None, Some(account)) => Destination::bank(
            country.ok_or_else(|| Error::invalid("country", "is required for a bank account"))?,
            args.bank_code.clone().unwrap_or_default(),
            account.clone(),
        )?,
        (None, None) => {
            return Err(Error::invalid(
                "destination",
                "give --to NUMBER, or --account with --bank-code and --country",
            ));
        }
    };
    let mut request = PayoutRequest::new(
        Reference::new(args.reference.clone())?,
        Money::parse(&args.amount, currency)?,
        destination,
    );
    request.narration = args.narration.clone();
    request.channel = args.channel.clone();
    request.callback_url = callback.as_deref().map(CallbackUrl::parse).transpose()?;
    Ok(request)
}

/// Prints a payout's current record; with `--batch`, refreshes the whole batch.
pub async fn status(args: StatusArgs) -> Result<ExitCode, Error> {
    if let Some(batch) = &args.batch {
        return crate::status_batch::run(batch, args.store.as_deref(), args.sandbox).await;
    }
    let provider = args
        .provider
        .ok_or_else(|| Error::invalid("provider", "give --provider"))?;
    let target = Target::connect(&TargetArgs {
        provider,
        sandbox: args.sandbox,
    })
    .await?;
    let found = match (&args.id, &args.reference) {
        (Some(id), _) => target.provider.get_payout(id).await.map(Some),
        (None, Some(reference)) => {
            target
                .provider
                .find_payout(&Reference::new(reference.clone())?)
                .await
        }
        (None, None) => return Err(Error::invalid("id", "give --id or --reference")),
    };
    match found {
        Ok(Some(payout)) => {
            println!("{}", payout_json(&payout));
            Ok(ExitCode::SUCCESS)
        }
        Ok(None) => {
            eprintln!("disburse: no payout under that reference");
            Ok(ExitCode::from(exit::FAILED))
        }
        Err(error) => {
            eprintln!("disburse: {}", with_cause(&error));
            Ok(ExitCode::from(exit::FAILED))
        }
    }
}
