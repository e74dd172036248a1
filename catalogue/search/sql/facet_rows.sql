-- The narrow facet copy (catalogue.models.facets.DatasetFacets): one row per dataset, rewritten in the same
-- transaction as any change to its dataset, technique links, range parameters, or instrument's or proposal's
-- facility. Statement-level triggers with transition tables call one function once per statement, so a COPY of a
-- million datasets costs one set-based upsert, not a million.
-- The names in braces are filled from catalogue.models.facets (catalogue.search.database.search_sql).

CREATE OR REPLACE FUNCTION catalogue_technique_links(dataset bigint) RETURNS TABLE (techniques bigint[])
LANGUAGE sql STABLE AS $$
    SELECT COALESCE(array_agg(t.technique_id ORDER BY t.technique_id), ARRAY[]::bigint[])
    FROM catalogue_dataset_techniques t WHERE t.dataset_id = dataset;
$$;

-- The range parameters: lowest and highest SI value of that name and dimension, and how many.
DROP FUNCTION IF EXISTS catalogue_ranged_parameters(bigint);
CREATE FUNCTION catalogue_ranged_parameters(dataset bigint) RETURNS TABLE ({ranged_types}) LANGUAGE sql STABLE AS $$
    SELECT {ranged_aggregates}
    FROM catalogue_parameter v WHERE v.dataset_id = dataset AND v.value_si IS NOT NULL;
$$;

CREATE OR REPLACE FUNCTION catalogue_refresh_dataset_facets(ids bigint[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM catalogue_datasetfacets f
    WHERE f.dataset_id = ANY(ids) AND NOT EXISTS (SELECT 1 FROM catalogue_dataset d WHERE d.id = f.dataset_id);
    -- A statement of its own: the next one reads the sets with a fresh snapshot, another writer's included.
    INSERT INTO catalogue_techniqueset (techniques)
    SELECT DISTINCT links.techniques FROM catalogue_dataset d, catalogue_technique_links(d.id) links
    WHERE d.id = ANY(ids)
    ON CONFLICT (techniques) DO NOTHING;
    INSERT INTO catalogue_datasetfacets AS f (
        dataset_id, proposal_id, instrument_id, facility_id, year, creation_time, file_format, technique_set_id,
        {ranged_columns},
        release_date, open_now, withdrawn_at
    )
    SELECT d.id, d.proposal_id, d.instrument_id, COALESCE(i.facility_id, p.facility_id),
           EXTRACT(YEAR FROM d.creation_time AT TIME ZONE 'UTC')::smallint, d.creation_time, d.file_format, s.id,
           {ranged_selected},
           d.release_date, d.open_now, d.withdrawn_at
    FROM catalogue_dataset d
    CROSS JOIN catalogue_technique_links(d.id) links
    JOIN catalogue_techniqueset s ON s.techniques = links.techniques
    CROSS JOIN catalogue_ranged_parameters(d.id) r
    LEFT JOIN catalogue_instrument i ON i.id = d.instrument_id
    LEFT JOIN catalogue_document p ON p.id = d.proposal_id
    WHERE d.id = ANY(ids)
    ON CONFLICT (dataset_id) DO UPDATE SET
        proposal_id = EXCLUDED.proposal_id, instrument_id = EXCLUDED.instrument_id,
        facility_id = EXCLUDED.facility_id, year = EXCLUDED.year, creation_time = EXCLUDED.creation_time,
        file_format = EXCLUDED.file_format, technique_set_id = EXCLUDED.technique_set_id,
        {ranged_updated},
        release_date = EXCLUDED.release_date, open_now = EXCLUDED.open_now, withdrawn_at = EXCLUDED.withdrawn_at;
$$;

CREATE OR REPLACE FUNCTION catalogue_dataset_facets_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM catalogue_refresh_dataset_facets(ARRAY(SELECT id FROM new_rows));
    RETURN NULL;
END $$;

-- Only the columns the copy holds, and opened_at, which the sweep that opens ended embargoes writes (so that the
-- row is counted open from then on): an edit of any other column (a title, a description) rewrites nothing.
CREATE OR REPLACE FUNCTION catalogue_dataset_facets_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM catalogue_refresh_dataset_facets(ARRAY(
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (n.proposal_id, n.instrument_id, n.creation_time, n.file_format, n.release_date, n.open_now,
               n.withdrawn_at, n.opened_at)
              IS DISTINCT FROM
              (o.proposal_id, o.instrument_id, o.creation_time, o.file_format, o.release_date, o.open_now,
               o.withdrawn_at, o.opened_at)
    ));
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION catalogue_dataset_facets_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM catalogue_datasetfacets WHERE dataset_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END $$;

-- Rows of a table with a dataset_id (technique links, parameters): refresh the datasets they belong to.
CREATE OR REPLACE FUNCTION catalogue_dataset_facets_on_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM catalogue_refresh_dataset_facets(ARRAY(SELECT DISTINCT dataset_id FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM catalogue_refresh_dataset_facets(ARRAY(SELECT DISTINCT dataset_id FROM old_rows));
    ELSE
        PERFORM catalogue_refresh_dataset_facets(ARRAY(
            SELECT dataset_id FROM new_rows UNION SELECT dataset_id FROM old_rows));
    END IF;
    RETURN NULL;
END $$;

-- An instrument's or a proposal's facility changed: refresh the datasets that point to it.
CREATE OR REPLACE FUNCTION catalogue_dataset_facets_on_facility() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    link text := CASE TG_TABLE_NAME WHEN 'catalogue_instrument' THEN 'instrument_id' ELSE 'proposal_id' END;
BEGIN
    EXECUTE format(
        'SELECT catalogue_refresh_dataset_facets(ARRAY('
        '    SELECT d.id FROM catalogue_dataset d JOIN new_rows n ON n.id = d.%I'
        '    JOIN old_rows o ON o.id = n.id WHERE n.facility_id IS DISTINCT FROM o.facility_id))',
        link
    );
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER dataset_facets_insert AFTER INSERT ON catalogue_dataset
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_dataset_facets_on_insert();
CREATE OR REPLACE TRIGGER dataset_facets_update AFTER UPDATE ON catalogue_dataset
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_dataset_facets_on_update();
CREATE OR REPLACE TRIGGER dataset_facets_delete AFTER DELETE ON catalogue_dataset
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_dataset_facets_on_delete();
CREATE OR REPLACE TRIGGER dataset_facets_link_insert AFTER INSERT ON catalogue_dataset_techniques
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_dataset_facets_on_rows();
CREATE OR REPLACE TRIGGER dataset_facets_link_delete AFTER DELETE ON catalogue_dataset_techniques
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_dataset_facets_on_rows();
CREATE OR REPLACE TRIGGER dataset_facets_parameter_insert AFTER INSERT ON catalogue_parameter
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_dataset_facets_on_rows();
CREATE OR REPLACE TRIGGER dataset_facets_parameter_update AFTER UPDATE ON catalogue_parameter
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_dataset_facets_on_rows();
CREATE OR REPLACE TRIGGER dataset_facets_parameter_delete AFTER DELETE ON catalogue_parameter
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_dataset_facets_on_rows();
CREATE OR REPLACE TRIGGER dataset_facets_instrument AFTER UPDATE ON catalogue_instrument
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_dataset_facets_on_facility();
CREATE OR REPLACE TRIGGER dataset_facets_proposal AFTER UPDATE ON catalogue_document
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_dataset_facets_on_facility();
