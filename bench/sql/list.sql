select d.id, d.data from catalog.mt_doc_product d where d.tenant_id = :tenant and (d.data ->> 'DeletedAt') is null and d.id < 'ffffffff-ffff-ffff-ffff-ffffffffffff' order by d.id desc limit 26;
