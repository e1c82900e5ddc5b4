-- +goose Up
-- Filters on custom field values ("custom_fields @> {key: value}") use
-- these GIN indexes; SQLite gets one expression index per defined field.
CREATE INDEX contacts_custom_fields ON contacts USING GIN (custom_fields jsonb_path_ops);
CREATE INDEX companies_custom_fields ON companies USING GIN (custom_fields jsonb_path_ops);

-- +goose Down
DROP INDEX companies_custom_fields;
DROP INDEX contacts_custom_fields;
