select d.id, d.data, d.mt_version from catalog.mt_doc_product as d where id = :product and d.tenant_id = :tenant;
