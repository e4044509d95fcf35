-- What a create writes: the stream, its first event and the product read model, in one transaction.
BEGIN;
WITH s AS (INSERT INTO catalog.mt_streams (id, type, version, timestamp, tenant_id)
           VALUES (gen_random_uuid(), 'product', 1, now(), :tenant) RETURNING id),
     e AS (INSERT INTO catalog.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived)
           SELECT nextval('catalog.mt_events_sequence'), gen_random_uuid(), s.id, 1,
                  jsonb_build_object('ProductId', s.id, 'Name', 'Bench', 'Code', 'pg-' || s.id, 'KeyPrefix', 'LIC', 'Metadata', '{}'::jsonb),
                  'product_created', :tenant, now(), 'Catalog.Products.ProductCreated', false FROM s)
INSERT INTO catalog.mt_doc_product (tenant_id, id, data, mt_version, mt_dotnet_type, mt_last_modified)
SELECT :tenant, s.id, jsonb_build_object('Id', s.id, 'Name', 'Bench', 'Code', 'pg-' || s.id, 'KeyPrefix', 'LIC', 'LicensesCount', 0,
                                         'DeletedAt', null, 'Metadata', '{}'::jsonb), 1, 'Catalog.Products.Product', transaction_timestamp() FROM s;
COMMIT;
