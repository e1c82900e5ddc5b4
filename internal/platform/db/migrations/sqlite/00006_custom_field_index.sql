-- +goose Up
-- SQLite indexes custom field values per field: the CRM creates an
-- expression index when a field is defined (see crm/customfields.go).
SELECT 1;

-- +goose Down
SELECT 1;
