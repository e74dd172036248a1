-- Each dataset posting (catalogue.models.search.DatasetPosting) carries its dataset's facet group while the dataset
-- is counted open, so that a text search's open counts read the text's own postings (services.facet_groups).
-- Lock order with catalogue.search.index: reindex locks the facet rows FOR SHARE, in order, before it deletes
-- postings; a writer of a facet row then updates the postings below.

-- A new posting takes its dataset's group. FOR SHARE: a concurrent change of the facet row either commits first
-- and is read here, or waits for this transaction and then updates the postings it wrote (below).
CREATE OR REPLACE FUNCTION catalogue_posting_open_group() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT CASE WHEN counted_open THEN group_id END INTO NEW.open_group_id
    FROM catalogue_datasetfacets WHERE dataset_id = NEW.dataset_id FOR SHARE;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER posting_open_group BEFORE INSERT ON catalogue_datasetposting
    FOR EACH ROW EXECUTE FUNCTION catalogue_posting_open_group();

-- A facet row written or deleted: its dataset's postings follow its group and whether it is counted open.
CREATE OR REPLACE FUNCTION catalogue_facets_posting_groups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE catalogue_datasetposting p SET open_group_id = NULL
        FROM old_rows o WHERE p.dataset_id = o.dataset_id AND p.open_group_id IS NOT NULL;
    ELSE
        UPDATE catalogue_datasetposting p SET open_group_id = n.open_group
        FROM (SELECT dataset_id, CASE WHEN counted_open THEN group_id END AS open_group FROM new_rows) n
        WHERE p.dataset_id = n.dataset_id AND p.open_group_id IS DISTINCT FROM n.open_group;
    END IF;
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER facets_posting_groups_insert AFTER INSERT ON catalogue_datasetfacets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facets_posting_groups();
CREATE OR REPLACE TRIGGER facets_posting_groups_update AFTER UPDATE ON catalogue_datasetfacets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facets_posting_groups();
CREATE OR REPLACE TRIGGER facets_posting_groups_delete AFTER DELETE ON catalogue_datasetfacets
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facets_posting_groups();
