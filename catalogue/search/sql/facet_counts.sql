-- Facet counts of open data kept by PostgreSQL (catalogue.services.facet_groups): each facet row records whether it
-- was open when written, and a trigger appends the change in counted-open rows per facet key combination.

CREATE OR REPLACE FUNCTION catalogue_facets_counted_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- visibility.open_q as of this statement; coalesce: a dataset without a release date is not open.
    NEW.counted_open := NEW.withdrawn_at IS NULL
        AND (NEW.open_now OR COALESCE(NEW.release_date <= statement_timestamp(), false));
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER facets_counted_open BEFORE INSERT OR UPDATE ON catalogue_datasetfacets
    FOR EACH ROW EXECUTE FUNCTION catalogue_facets_counted_open();

-- One delta row per key combination and statement: a COPY of a million datasets appends ~12k rows, an ingested
-- dataset a few; nothing is updated in place, so concurrent writers never wait on a counter.
CREATE OR REPLACE FUNCTION catalogue_facet_count_deltas() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO catalogue_facetcountdelta ({facet_keys}, datasets)
        SELECT {facet_keys}, count(*) FROM new_rows WHERE counted_open GROUP BY {facet_keys};
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO catalogue_facetcountdelta ({facet_keys}, datasets)
        SELECT {facet_keys}, -count(*) FROM old_rows WHERE counted_open GROUP BY {facet_keys};
    ELSE
        INSERT INTO catalogue_facetcountdelta ({facet_keys}, datasets)
        SELECT {facet_keys}, sum(change) FROM (
            SELECT {facet_keys}, 1 AS change FROM new_rows WHERE counted_open
            UNION ALL
            SELECT {facet_keys}, -1 FROM old_rows WHERE counted_open
        ) changes GROUP BY {facet_keys} HAVING sum(change) <> 0;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER facet_count_insert AFTER INSERT ON catalogue_datasetfacets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facet_count_deltas();
CREATE OR REPLACE TRIGGER facet_count_update AFTER UPDATE ON catalogue_datasetfacets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facet_count_deltas();
CREATE OR REPLACE TRIGGER facet_count_delete AFTER DELETE ON catalogue_datasetfacets
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_facet_count_deltas();
