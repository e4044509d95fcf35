select d.id, d.data from catalog.mt_doc_product d where d.tenant_id = :deeptenant and (d.data ->> 'DeletedAt') is null and d.id < :cursor order by d.id desc limit 26;
