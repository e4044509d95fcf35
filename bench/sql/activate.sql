-- What an activation does: the license stream's lock, the seats, license and product read under it, the machine's
-- event on the license stream, the machine document and its heartbeat row (Marten's upsert, as MachineProjection
-- stores it; no heartbeat policy here, so no heartbeat rows are read for update), the license's count and the
-- stream's snapshot of its seats.
\set n random(1, 100)
BEGIN;
SELECT s.version FROM catalog.mt_streams s WHERE s.id = (SELECT id FROM bench_licenses WHERE n = :n) AND s.tenant_id = :tenant FOR UPDATE;
SELECT data FROM catalog.mt_doc_licenseseats WHERE id = (SELECT id FROM bench_licenses WHERE n = :n) AND tenant_id = :tenant;
SELECT data FROM catalog.mt_doc_license WHERE id = (SELECT id FROM bench_licenses WHERE n = :n) AND tenant_id = :tenant;
SELECT data FROM catalog.mt_doc_product WHERE id = :hot AND tenant_id = :tenant;
WITH v AS (UPDATE catalog.mt_streams SET version = version + 1, timestamp = now()
           WHERE id = (SELECT id FROM bench_licenses WHERE n = :n) AND tenant_id = :tenant RETURNING id, version),
     e AS (INSERT INTO catalog.mt_events (seq_id, id, stream_id, version, data, type, tenant_id, timestamp, mt_dotnet_type, is_archived)
           SELECT nextval('catalog.mt_events_sequence'), gen_random_uuid(), v.id, v.version,
                  jsonb_build_object('MachineId', gen_random_uuid(), 'Fingerprint', 'pg-' || gen_random_uuid()),
                  'machine_activated', :tenant, now(), 'Catalog.Licenses.MachineActivated', false FROM v),
     m AS (INSERT INTO catalog.mt_doc_machine (tenant_id, id, data, mt_version, mt_dotnet_type, mt_last_modified)
           SELECT :tenant, gen_random_uuid(), jsonb_build_object('LicenseId', v.id, 'Fingerprint', 'pg-' || gen_random_uuid()), gen_random_uuid(),
                  'Catalog.Licenses.Machine', transaction_timestamp() FROM v RETURNING id)
INSERT INTO catalog.mt_doc_machineheartbeat (tenant_id, id, data, "mt_version", "mt_dotnet_type", "mt_last_modified", "license_id")
SELECT :tenant, m.id, jsonb_build_object('Id', m.id, 'LicenseId', v.id, 'ActivatedAt', now(), 'LastAt', null, 'ExpiresAt', null, 'BorrowedUntil', null),
       gen_random_uuid(), 'Catalog.Machines.MachineHeartbeat', transaction_timestamp(), v.id FROM v, m
ON CONFLICT (tenant_id, id) DO UPDATE SET data = excluded.data, "mt_version" = excluded."mt_version", "mt_dotnet_type" = excluded."mt_dotnet_type",
       "mt_last_modified" = excluded."mt_last_modified", "license_id" = excluded."license_id" RETURNING id;
UPDATE catalog.mt_doc_license SET data = jsonb_set(data, '{MachinesCount}', to_jsonb(coalesce((data ->> 'MachinesCount')::int, 0) + 1)),
       mt_last_modified = transaction_timestamp()
 WHERE id = (SELECT id FROM bench_licenses WHERE n = :n) AND tenant_id = :tenant;
UPDATE catalog.mt_doc_licenseseats SET data = jsonb_set(data, '{Active}', (data -> 'Active') || jsonb_build_array(jsonb_build_object('Fingerprint', 'pg-' || gen_random_uuid()))),
       mt_last_modified = transaction_timestamp()
 WHERE id = (SELECT id FROM bench_licenses WHERE n = :n) AND tenant_id = :tenant;
COMMIT;
