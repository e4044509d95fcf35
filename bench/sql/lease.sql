-- What a lease grant and a release send, in turns per client as the wrk script does (:phase, 0 at the start: a
-- grant; 1: the release of that client's lease). The lease's id is a function of a number drawn here, as the service
-- draws its id before writing. Every decision on a license takes its id's transaction lock, then its stream's row for
-- update (LicenseStream.Lock), then its snapshot of seats (none: it never had a machine).
\if :phase = 0
-- The grant: the license's one read (with its live leases), without a lock; then the license stream's lock and its
-- seats, the license and the one read again; then the event, the license's count and the lease; COMMIT.
\set lease random(1, 9000000000000000000)
select l.data, p.data, pol.data, m.data, h.data, leases.live from catalog.mt_doc_license l left join catalog.mt_doc_product p on p.tenant_id = l.tenant_id and p.id = CAST(l.data ->> 'ProductId' as uuid) left join catalog.mt_doc_policy pol on pol.tenant_id = l.tenant_id and pol.id = CAST(l.data ->> 'PolicyId' as uuid) left join lateral (select m.id, m.data from catalog.mt_doc_machine m where NULL::text is not null and m.tenant_id = l.tenant_id and CAST(m.data ->> 'LicenseId' as uuid) = l.id and m.data ->> 'Fingerprint' = NULL::text and (m.data ->> 'DeactivatedAt' is null or m.data ->> 'DiedAt' is not null) order by m.data ->> 'DeactivatedAt' nulls first limit 1) m on true left join catalog.mt_doc_machineheartbeat h on h.tenant_id = l.tenant_id and h.id = m.id left join lateral (select count(*)::int as live from catalog.mt_doc_lease x where now() is not null and x.tenant_id = l.tenant_id and x.license_id = l.id and CAST(x.data ->> 'ExpiresAt' as timestamptz) > now()) leases on true where l.tenant_id = :tenant and l.id = :leaselicense;
BEGIN;
select 1 from pg_advisory_xact_lock(:leaselock);
select version from catalog.mt_streams where id = :leaselicense and tenant_id = :tenant for update \gset
select d.id, d.data, d.mt_version from catalog.mt_doc_licenseseats as d where id = :leaselicense and d.tenant_id = :tenant;
select d.id, d.data, d.mt_version from catalog.mt_doc_license as d where id = :leaselicense and d.tenant_id = :tenant;
select l.data, p.data, pol.data, m.data, h.data, leases.live from catalog.mt_doc_license l left join catalog.mt_doc_product p on p.tenant_id = l.tenant_id and p.id = CAST(l.data ->> 'ProductId' as uuid) left join catalog.mt_doc_policy pol on pol.tenant_id = l.tenant_id and pol.id = CAST(l.data ->> 'PolicyId' as uuid) left join lateral (select m.id, m.data from catalog.mt_doc_machine m where NULL::text is not null and m.tenant_id = l.tenant_id and CAST(m.data ->> 'LicenseId' as uuid) = l.id and m.data ->> 'Fingerprint' = NULL::text and (m.data ->> 'DeactivatedAt' is null or m.data ->> 'DiedAt' is not null) order by m.data ->> 'DeactivatedAt' nulls first limit 1) m on true left join catalog.mt_doc_machineheartbeat h on h.tenant_id = l.tenant_id and h.id = m.id left join lateral (select count(*)::int as live from catalog.mt_doc_lease x where now() is not null and x.tenant_id = l.tenant_id and x.license_id = l.id and CAST(x.data ->> 'ExpiresAt' as timestamptz) > now()) leases on true where l.tenant_id = :tenant and l.id = :leaselicense;
select catalog.mt_quick_append_events(:leaselicense, 'license_seats', :tenant, ARRAY[gen_random_uuid()], ARRAY['lease_granted'], ARRAY['Catalog.Licenses.LeaseGranted, Catalog'], ARRAY[jsonb_build_object('LeaseId', md5(:lease::text)::uuid, 'Borrowed', false, 'ExpiresAt', now() + interval '15 minutes', 'GrantedAt', now(), 'LicenseId', :leaselicense::uuid, 'MachineId', null, 'ProductId', :product::uuid)], ARRAY[NULL::bytea], ARRAY[now()], :version);
update catalog.mt_doc_license as d set data = catalog.mt_jsonb_patch(data, '[{"path": "LeasesCount", "type": "increment", "increment": 1}]'::jsonb), mt_last_modified = (transaction_timestamp()), mt_version = mt_version + 1 where (d.tenant_id = :tenant and d.id = :leaselicense);
insert into catalog.mt_doc_lease (tenant_id, id, data, "mt_version", "mt_dotnet_type", "mt_last_modified", "license_id") values (:tenant, md5(:lease::text)::uuid, jsonb_build_object('Id', md5(:lease::text)::uuid, 'Borrowed', false, 'ExpiresAt', now() + interval '15 minutes', 'GrantedAt', now(), 'LicenseId', :leaselicense::uuid, 'MachineId', null), gen_random_uuid(), 'Catalog.Licenses.Lease', transaction_timestamp(), :leaselicense) on conflict (tenant_id, id) do update set data = excluded.data, "mt_version" = excluded."mt_version", "mt_dotnet_type" = excluded."mt_dotnet_type", "mt_last_modified" = excluded."mt_last_modified", "license_id" = excluded."license_id" returning id;
COMMIT;
\set phase 1
\else
-- The release: the license stream's lock and its seats, the license, its policy, its product and the lease;
-- then the event, the license's count and the lease deleted; COMMIT.
BEGIN;
select 1 from pg_advisory_xact_lock(:leaselock);
select version from catalog.mt_streams where id = :leaselicense and tenant_id = :tenant for update \gset
select d.id, d.data, d.mt_version from catalog.mt_doc_licenseseats as d where id = :leaselicense and d.tenant_id = :tenant;
select d.id, d.data, d.mt_version from catalog.mt_doc_license as d where id = :leaselicense and d.tenant_id = :tenant;
select d.id, d.data, d.mt_version from catalog.mt_doc_policy as d where id = :leasepolicy and d.tenant_id = :tenant;
select d.id, d.data, d.mt_version from catalog.mt_doc_product as d where id = :product and d.tenant_id = :tenant;
select d.id, d.data from catalog.mt_doc_lease as d where id = md5(:lease::text)::uuid and d.tenant_id = :tenant;
select catalog.mt_quick_append_events(:leaselicense, 'license_seats', :tenant, ARRAY[gen_random_uuid()], ARRAY['lease_released'], ARRAY['Catalog.Licenses.LeaseReleased, Catalog'], ARRAY[jsonb_build_object('By', 'client', 'LeaseId', md5(:lease::text)::uuid, 'LicenseId', :leaselicense::uuid, 'MachineId', null, 'ProductId', :product::uuid, 'ReleasedAt', now())], ARRAY[NULL::bytea], ARRAY[now()], :version);
update catalog.mt_doc_license as d set data = catalog.mt_jsonb_patch(data, '[{"path": "LeasesCount", "type": "increment", "increment": -1}]'::jsonb), mt_last_modified = (transaction_timestamp()), mt_version = mt_version + 1 where (d.tenant_id = :tenant and d.id = :leaselicense);
delete from catalog.mt_doc_lease as d where (d.tenant_id = :tenant and id = md5(:lease::text)::uuid);
COMMIT;
\set phase 0
\endif
