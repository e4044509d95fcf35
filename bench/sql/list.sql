select d.id, d.data, d.mt_version from catalog.mt_doc_product as d where (d.tenant_id = :tenant and d.data ->> 'DeletedAt' is null) order by d.id desc LIMIT 26;
