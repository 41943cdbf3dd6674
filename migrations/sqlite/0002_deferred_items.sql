-- disburse payout store, schema 2: the rows a worker found held by another live worker.
-- A worker reports such a row once: as its takeover's result if that worker dies and this one
-- takes the row over, else as "elsewhere" at the end of its run. Until then the row is here,
-- not in the worker's memory, so a run's memory does not grow with the rows it finds held.
CREATE TABLE deferred_items (
    worker     TEXT   NOT NULL,
    provider   TEXT   NOT NULL,
    reference  TEXT   NOT NULL,
    batch      TEXT   NOT NULL,
    item_index BIGINT NOT NULL,
    PRIMARY KEY (worker, provider, reference)
);
CREATE INDEX deferred_items_batch ON deferred_items (worker, batch, provider, item_index);
