-- What an issuance writes: the product stream's lock, its next event, the license and the product's count.
BEGIN;
SELECT version FROM catalog.mt_streams WHERE id = :hot AND tenant_id = :tenant FOR UPDATE;
WITH v AS (UPDATE catalog.mt_streams SET version = version + 1, timestamp = now() WHERE id = :hot AND tenant_id = :tenant RETURNING version),
     e AS (INSERT INTO catalog.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived)
           SELECT nextval('catalog.mt_events_sequence'), gen_random_uuid(), (:hot)::uuid, v.version,
                  jsonb_build_object('LicenseId', gen_random_uuid(), 'Key', 'PG-' || gen_random_uuid()),
                  'license_issued', :tenant, now(), 'Catalog.Licenses.LicenseIssued', false FROM v),
     l AS (INSERT INTO catalog.mt_doc_license (tenant_id, id, data, mt_version, mt_dotnet_type, mt_last_modified)
           VALUES (:tenant, gen_random_uuid(), jsonb_build_object('Key', 'PG-' || gen_random_uuid(), 'ProductId', (:hot)::text), 1,
                   'Catalog.Licenses.License', transaction_timestamp()))
UPDATE catalog.mt_doc_product SET data = jsonb_set(data, '{LicensesCount}', to_jsonb((data ->> 'LicensesCount')::int + 1)),
       mt_version = mt_version + 1, mt_last_modified = transaction_timestamp()
 WHERE id = :hot AND tenant_id = :tenant;
COMMIT;
