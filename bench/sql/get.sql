select d.data from catalog.mt_doc_product d where d.tenant_id = :tenant and d.id = :product;
