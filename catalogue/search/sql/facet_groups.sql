-- Each facet row's combination of facet keys as one integer (catalogue.models.facets.FacetGroup), found or added
-- whenever the keys change. The key string formats NULL as '' and quotes the format, so that two combinations
-- never share a key.

CREATE OR REPLACE FUNCTION catalogue_facets_group() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted text := format('%s/%s/%s/%s/%s', NEW.technique_set_id, NEW.instrument_id, NEW.facility_id, NEW.year,
                          quote_nullable(NEW.file_format));
BEGIN
    SELECT id INTO NEW.group_id FROM catalogue_facetgroup WHERE key = wanted;
    IF NEW.group_id IS NULL THEN
        INSERT INTO catalogue_facetgroup (key, {facet_keys})
        VALUES (wanted, {new_facet_keys})
        ON CONFLICT (key) DO NOTHING RETURNING id INTO NEW.group_id;
    END IF;
    IF NEW.group_id IS NULL THEN  -- another writer added it since our first look (a fresh snapshot sees it)
        SELECT id INTO NEW.group_id FROM catalogue_facetgroup WHERE key = wanted;
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE TRIGGER facets_group_insert BEFORE INSERT ON catalogue_datasetfacets
    FOR EACH ROW EXECUTE FUNCTION catalogue_facets_group();
CREATE OR REPLACE TRIGGER facets_group_update BEFORE UPDATE ON catalogue_datasetfacets
    FOR EACH ROW WHEN (({new_facet_keys}) IS DISTINCT FROM ({old_facet_keys}))
    EXECUTE FUNCTION catalogue_facets_group();
