-- disburse payout store, schema 1 (SQLite). Money is text in major units (a decimal, never a
-- float); times are milliseconds since the Unix epoch.

-- Marks the database as a disburse store: a database without it is not ours.
CREATE TABLE disburse_store (
    singleton   INTEGER PRIMARY KEY CHECK (singleton = 1),
    application TEXT    NOT NULL
);
INSERT INTO disburse_store (singleton, application) VALUES (1, 'disburse');

-- One row per (provider, reference): a reference is sent at most once, whatever the batch.
CREATE TABLE payout_items (
    provider    TEXT   NOT NULL,
    reference   TEXT   NOT NULL,
    fingerprint TEXT   NOT NULL,
    batch       TEXT   NOT NULL,
    item_index  BIGINT NOT NULL,
    request     TEXT   NOT NULL,
    amount      TEXT   NOT NULL,
    currency    TEXT   NOT NULL,
    state       TEXT   NOT NULL CHECK (state IN ('pending', 'in_flight', 'sent', 'reconciled', 'failed', 'not_sent', 'unknown')),
    worker      TEXT,
    attempts    BIGINT NOT NULL DEFAULT 0,
    payout_id   TEXT,
    status      TEXT,
    detail      TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (provider, reference)
);
CREATE INDEX payout_items_batch ON payout_items (batch, provider, state, item_index);
CREATE INDEX payout_items_payout_id ON payout_items (provider, payout_id);

-- Workers hold their items while their heartbeat (the database's clock) is fresh.
CREATE TABLE workers (
    id           TEXT   PRIMARY KEY,
    heartbeat_at BIGINT NOT NULL
);

-- Every status change after the intent, with its source; a webhook event id applies once.
CREATE TABLE status_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    provider    TEXT   NOT NULL,
    reference   TEXT,
    payout_id   TEXT,
    status      TEXT   NOT NULL,
    detail      TEXT,
    source      TEXT   NOT NULL CHECK (source IN ('send', 'reconcile', 'poll', 'webhook')),
    event_id    TEXT,
    recorded_at BIGINT NOT NULL,
    UNIQUE (provider, event_id)
);
CREATE INDEX status_changes_reference ON status_changes (provider, reference);
