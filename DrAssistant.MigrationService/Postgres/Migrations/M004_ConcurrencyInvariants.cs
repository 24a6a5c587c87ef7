using FluentMigrator;

namespace DrAssistant.MigrationService.Postgres.Migrations;

/// <summary>
/// Version 4: rules that two requests at once could break while the API alone checked them (read committed: neither
/// sees the other's uncommitted row) become constraints. A doctor is never in two live appointments at once
/// (exclusion constraint over btree_gist), logins and emails are unique ignoring case, and an alert records who raised it.
/// Rows that already break a rule stop the version with a message naming them (up to 20, by id) before anything
/// changes: the migration never deletes or edits data to make a constraint fit.
/// </summary>
[Migration(4, "invariants the database enforces")]
public sealed class M004_ConcurrencyInvariants : DrMigration
{
    private const int Named = 20;

    public override void Up()
    {
        // Trusted since PostgreSQL 13: the database owner may create it. A managed server may need it allow-listed
        // (Azure: azure.extensions; others: their extension settings); the message says so instead of a bare 42501.
        Sql("""
            DO $$
            BEGIN
                CREATE EXTENSION IF NOT EXISTS btree_gist;
            EXCEPTION WHEN OTHERS THEN
                RAISE EXCEPTION USING MESSAGE = format(
                    'Schema version 4 needs the PostgreSQL extension btree_gist (for the exclusion constraint no_overlapping_appointments), '
                    'and creating it was refused: %s (SQLSTATE %s). Run the migrator as the database owner or a role with CREATE on the '
                    'database (btree_gist is a trusted extension since PostgreSQL 13), or have an administrator run '
                    '"CREATE EXTENSION btree_gist;" in this database first; on a managed server (Azure Database for PostgreSQL, '
                    'Amazon RDS, Cloud SQL) allow-list btree_gist in the server''s extension settings. Nothing of version 4 was applied.',
                    SQLERRM, SQLSTATE);
            END
            $$
            """);

        // Writers wait from here to the end of the version, so no row that breaks a rule can slip in between the checks
        // below and the constraints (readers are not blocked until the constraint is built).
        Sql("LOCK TABLE appointments, users IN SHARE ROW EXCLUSIVE MODE");

        // Before the constraint: live appointments of one doctor that overlap (the later of each pair, with one it overlaps).
        Sql($$"""
            DO $$
            DECLARE
                total bigint;
                named text;
            BEGIN
                WITH live AS (
                    SELECT id, doctor_id, start_time, end_time,
                           max(end_time) OVER (PARTITION BY doctor_id ORDER BY start_time, id
                                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_end
                    FROM appointments
                    WHERE status NOT IN ('cancelled', 'no_show')
                ),
                clashing AS (SELECT * FROM live WHERE earlier_end > start_time)
                SELECT (SELECT count(*) FROM clashing),
                       (SELECT string_agg(pair, '; ') FROM (
                            SELECT format('%s overlaps %s (doctor %s)', c.id, other.id, c.doctor_id) AS pair
                            FROM (SELECT * FROM clashing ORDER BY doctor_id, start_time, id LIMIT {{Named}}) c
                            CROSS JOIN LATERAL (
                                SELECT o.id FROM appointments o
                                WHERE o.doctor_id = c.doctor_id AND o.id <> c.id AND o.status NOT IN ('cancelled', 'no_show')
                                  AND o.start_time < c.end_time AND c.start_time < o.end_time
                                ORDER BY o.start_time, o.id LIMIT 1) other
                            ORDER BY c.doctor_id, c.start_time, c.id) pairs)
                INTO total, named;
                IF total > 0 THEN
                    RAISE EXCEPTION USING ERRCODE = 'exclusion_violation', MESSAGE = format(
                        'Schema version 4 cannot add no_overlapping_appointments: %s live appointment(s) overlap another live appointment '
                        'of the same doctor (the first {{Named}}: %s). Cancel, mark no-show or move one of each pair, then run the migrator '
                        'again. Nothing was changed.', total, named);
                END IF;
            END
            $$
            """);

        // Before the unique indexes: logins and emails that differ only by case.
        foreach (var (column, index) in new[] { ("username", "idx_users_username_ci"), ("email", "idx_users_email_ci") })
        {
            Sql($$"""
                DO $$
                DECLARE
                    total bigint;
                    named text;
                BEGIN
                    WITH clashes AS (
                        SELECT string_agg(id::text, ' and ' ORDER BY created_at, id) AS ids, min(created_at) AS first_created
                        FROM users GROUP BY lower({{column}}) HAVING count(*) > 1
                    )
                    SELECT (SELECT count(*) FROM clashes),
                           (SELECT string_agg(ids, '; ' ORDER BY first_created, ids)
                            FROM (SELECT * FROM clashes ORDER BY first_created, ids LIMIT {{Named}}) first)
                    INTO total, named;
                    IF total > 0 THEN
                        RAISE EXCEPTION USING ERRCODE = 'unique_violation', MESSAGE = format(
                            'Schema version 4 cannot add {{index}}: %s {{column}}(s) are shared, ignoring case, by several users '
                            '(the first {{Named}}, by user id: %s). Give each user a {{column}} of their own, then run the migrator again. '
                            'Nothing was changed.', total, named);
                    END IF;
                END
                $$
                """);
        }

        Sql("""
            ALTER TABLE appointments ADD CONSTRAINT no_overlapping_appointments
                EXCLUDE USING gist (doctor_id WITH =, tstzrange(start_time, end_time, '[)') WITH &&)
                WHERE (status NOT IN ('cancelled', 'no_show'))
            """);
        Sql("COMMENT ON CONSTRAINT no_overlapping_appointments ON appointments IS " +
            "'A doctor is never in two live (not cancelled, not no-show) appointments at once; back-to-back slots are allowed.'");
        Sql("CREATE UNIQUE INDEX idx_users_username_ci ON users (lower(username))");
        Sql("CREATE UNIQUE INDEX idx_users_email_ci ON users (lower(email))");

        Alter.Table("alerts")
            .AddColumn("created_by").AsGuid().Nullable().ForeignKey("fk_alerts_created_by", "users", "id");
        Sql("COMMENT ON COLUMN alerts.created_by IS 'The user who raised the alert; NULL when the system raised it.'");
    }

    public override void Down()
    {
        // The extension stays: other objects may use it.
        Delete.ForeignKey("fk_alerts_created_by").OnTable("alerts");
        Delete.Column("created_by").FromTable("alerts");
        Sql("DROP INDEX idx_users_email_ci");
        Sql("DROP INDEX idx_users_username_ci");
        Sql("ALTER TABLE appointments DROP CONSTRAINT no_overlapping_appointments");
    }

    private void Sql(string sql) => IfDatabase(ProcessorIdConstants.PostgreSQL).Execute.Sql(sql);
}
