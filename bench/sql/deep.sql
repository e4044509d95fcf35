select d.id, d.data, d.mt_version from catalog.mt_doc_product as d where (d.tenant_id = :deeptenant and d.data ->> 'DeletedAt' is null and d.id < :cursor) order by d.id desc LIMIT 26;
